#!/usr/bin/python3
"""Regenerates the golden convolution cases in src/test/resources/golden/ from PyTorch.

Run with Debian's PyTorch: /usr/bin/python3 scripts/make_golden.py
Each case is a folder holding input.npy (NCHW), weight.npy (OIHW), optionally bias.npy, expected.npy and
case.properties (stride, padding top,left,bottom,right, dilation, groups, activation). Inputs are float32
with fixed seeds; the expected output is computed in float64 by torch.nn.functional.conv2d and rounded to
float32. Asymmetric padding is applied with F.pad before an unpadded convolution.
"""
import torch

from golden_files import RESOURCES, act, conv, layer_properties, random_layer, regenerate, write_case

ROOT = RESOURCES / "golden"

# name: (N, Cin, H, W), (Cout, KH, KW), stride, padding (top, left, bottom, right), dilation, groups, bias, activation
CASES = {
    "full_3x3":         ((2, 3, 7, 6), (5, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, True, "none"),
    "grouped_g2":       ((1, 4, 6, 7), (6, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 2, True, "relu"),
    "depthwise_g1":     ((1, 5, 9, 8), (5, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 5, True, "none"),
    "depthwise_g2":     ((2, 3, 8, 9), (6, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 3, True, "relu6"),
    "pointwise":        ((2, 6, 5, 4), (7, 1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1, True, "none"),
    "stride2_5x5":      ((1, 3, 11, 10), (4, 5, 5), (2, 2), (2, 2, 2, 2), (1, 1), 1, False, "none"),
    "dilation2":        ((1, 4, 10, 9), (3, 3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 1, True, "relu"),
    "asymmetric_pad":   ((1, 3, 7, 8), (4, 3, 2), (1, 2), (0, 1, 2, 0), (1, 1), 1, True, "none"),
    "relu6_scaled":     ((1, 4, 6, 6), (8, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, True, "relu6"),
    "kernel_1x5":       ((1, 2, 5, 12), (3, 1, 5), (1, 1), (0, 2, 0, 2), (1, 1), 1, True, "none"),
    "kernel_5x1_grouped_s2": ((1, 6, 13, 5), (6, 5, 1), (2, 1), (2, 0, 2, 0), (1, 1), 3, False, "none"),
}


def run_case(folder, seed, case):
    stride, pad, dilation, groups, activation = case[2], case[3], case[4], case[5], case[7]
    x, wt, b = random_layer(torch.Generator().manual_seed(seed), case)
    y = act(conv(x.double(), wt.double(), None if b is None else b.double(), stride, pad, dilation, groups), activation)
    write_case(folder, "make_golden.py", seed, {"input": x, "weight": wt, "bias": b, "expected": y},
               layer_properties(case))


if __name__ == "__main__":
    regenerate(ROOT, CASES, 1000, run_case)
