#!/usr/bin/python3
"""Regenerates the golden gradient cases in src/test/resources/golden-grad/ from PyTorch autograd.

Run with Debian's PyTorch: /usr/bin/python3 scripts/make_golden_grad.py
Each case is a folder holding input.npy (NCHW), weight.npy (OIHW), optionally bias.npy, grad_output.npy (the
gradient of the layer's output, after the activation), the expected grad_input.npy, grad_weight.npy and, with a
bias, grad_bias.npy, and case.properties (stride, padding top,left,bottom,right, dilation, groups, activation).
Inputs are float32 with fixed seeds; the gradients are computed by torch.autograd.grad in float64 through
act(conv2d(x, w, b)) and rounded to float32. Asymmetric padding is applied with F.pad before an unpadded
convolution, inside the graph, so the input gradient is that of the unpadded input.
"""
import torch

from golden_files import RESOURCES, act, conv, layer_properties, random_layer, regenerate, uniform, write_case

ROOT = RESOURCES / "golden-grad"

# name: (N, Cin, H, W), (Cout, KH, KW), stride, padding (top, left, bottom, right), dilation, groups, bias, activation
CASES = {
    "full_3x3_b2":           ((2, 3, 7, 6), (5, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, True, "none"),
    "full_3x3_s2_odd":       ((2, 4, 9, 8), (6, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 1, True, "relu"),
    "full_5x5_s3_nodivide":  ((1, 2, 12, 13), (3, 5, 5), (3, 3), (0, 0, 0, 0), (1, 1), 1, False, "none"),
    "dilation2_asym":        ((1, 3, 9, 10), (4, 3, 3), (1, 1), (2, 1, 0, 3), (2, 2), 1, True, "none"),
    "grouped_g2":            ((2, 4, 6, 7), (6, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 2, True, "relu6"),
    "grouped_5x1_s2":        ((1, 6, 13, 5), (6, 5, 1), (2, 1), (2, 0, 2, 0), (1, 1), 3, False, "none"),
    "kernel_1x5_asym":       ((2, 2, 4, 11), (3, 1, 5), (1, 1), (0, 2, 0, 1), (1, 1), 1, True, "none"),
    "depthwise_g1":          ((2, 5, 9, 8), (5, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 5, True, "relu6"),
    "depthwise_g2_s2":       ((2, 3, 8, 9), (6, 3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 3, True, "none"),
    "depthwise_g3_d2_asym":  ((1, 2, 10, 9), (6, 3, 3), (1, 1), (1, 2, 2, 0), (2, 2), 2, False, "relu"),
    "pointwise":             ((2, 6, 5, 4), (7, 1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1, True, "none"),
    "pointwise_s2":          ((1, 5, 7, 6), (4, 1, 1), (2, 2), (0, 0, 0, 0), (1, 1), 1, True, "none"),
}


def run_case(folder, seed, case):
    stride, pad, dilation, groups, activation = case[2], case[3], case[4], case[5], case[7]
    g = torch.Generator().manual_seed(seed)
    x, wt, b = random_layer(g, case)
    wrt = [t.double().requires_grad_() for t in (x, wt, b) if t is not None]
    y = act(conv(wrt[0], wrt[1], wrt[2] if b is not None else None, stride, pad, dilation, groups), activation)
    dy = uniform(g, y.shape)
    grads = torch.autograd.grad(y, wrt, grad_outputs=dy.double())
    write_case(folder, "make_golden_grad.py", seed,
               {"input": x, "weight": wt, "bias": b, "grad_output": dy, "grad_input": grads[0],
                "grad_weight": grads[1], "grad_bias": grads[2] if b is not None else None},
               layer_properties(case))


if __name__ == "__main__":
    regenerate(ROOT, CASES, 2000, run_case)
