#!/usr/bin/python3
"""Regenerates the golden depthwise-separable block cases in src/test/resources/golden-block/ from PyTorch.

Run with Debian's PyTorch: /usr/bin/python3 scripts/make_golden_block.py
Each case is a folder holding input.npy (NCHW), dw_weight.npy ([gamma*C, 1, KH, KW]), dw_bn.npy and pw_bn.npy
(rows mean, var, weight, bias: [4, channels]), pw_weight.npy ([Cout, gamma*C, 1, 1]), expected.npy and
case.properties (stride, padding top,left,bottom,right, dilation, multiplier, eps, activations). The block is
conv2d -> batch_norm -> act -> conv2d -> batch_norm -> act, batch_norm in eval mode (running statistics),
computed in float64 and rounded to float32. Asymmetric padding is applied with F.pad.
"""
import torch
import torch.nn.functional as F

from golden_files import RESOURCES, act, conv, regenerate, uniform, write_case

ROOT = RESOURCES / "golden-block"
EPS = 1e-5

# name: (N, C, H, W), gamma, (KH, KW), Cout, stride, padding (top, left, bottom, right), dilation, dw act, pw act
CASES = {
    "mobilenet_s1":      ((1, 8, 9, 9), 1, (3, 3), 16, (1, 1), (1, 1, 1, 1), (1, 1), "relu", "relu"),
    "mobilenet_s2":      ((2, 6, 11, 10), 1, (3, 3), 12, (2, 2), (1, 1, 1, 1), (1, 1), "relu", "relu"),
    "relu6_gamma2":      ((1, 4, 8, 7), 2, (3, 3), 10, (1, 1), (1, 1, 1, 1), (1, 1), "relu6", "relu6"),
    "dilated_asym_5x3":  ((1, 3, 12, 9), 1, (5, 3), 70, (1, 2), (3, 0, 1, 2), (2, 1), "relu", "none"),
    "distributed_g4":    ((1, 5, 6, 6), 2, (3, 3), 20, (1, 1), (1, 1, 1, 1), (1, 1), "relu", "relu"),
}


def bn_params(g, channels):
    mean = torch.rand((channels,), generator=g) - 0.5
    var = torch.rand((channels,), generator=g) * 1.8 + 0.2
    weight = torch.rand((channels,), generator=g) + 0.5
    bias = torch.rand((channels,), generator=g) * 0.6 - 0.3
    return torch.stack([mean, var, weight, bias])


def batch_norm(y, p):
    p = p.double()
    return F.batch_norm(y, p[0], p[1], p[2], p[3], training=False, eps=EPS)


def run_case(folder, seed, case):
    (n, c, h, w), gamma, (kh, kw), cout, stride, pad, dilation, dw_act, pw_act = case
    g = torch.Generator().manual_seed(seed)
    x = uniform(g, (n, c, h, w), 3.0 if "relu6" in (dw_act, pw_act) else 1.0)  # ReLU6 inputs pass 6
    dw = uniform(g, (gamma * c, 1, kh, kw))
    pw = uniform(g, (cout, gamma * c, 1, 1))
    dw_bn = bn_params(g, gamma * c)
    pw_bn = bn_params(g, cout)
    y = act(batch_norm(conv(x.double(), dw.double(), None, stride, pad, dilation, c), dw_bn), dw_act)
    y = act(batch_norm(F.conv2d(y, pw.double()), pw_bn), pw_act)
    write_case(folder, "make_golden_block.py", seed,
               {"input": x, "dw_weight": dw, "pw_weight": pw, "dw_bn": dw_bn, "pw_bn": pw_bn, "expected": y},
               [("multiplier", gamma), ("stride", "%d,%d" % stride), ("padding", "%d,%d,%d,%d" % pad),
                ("dilation", "%d,%d" % dilation), ("eps", "%g" % EPS), ("dw_activation", dw_act),
                ("pw_activation", pw_act)])


if __name__ == "__main__":
    regenerate(ROOT, CASES, 2000, run_case)
