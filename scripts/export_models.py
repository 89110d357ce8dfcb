#!/usr/bin/python3
"""Exports the ONNX models and test fixtures of org.convcl.net, with PyTorch's outputs beside them.

  scripts/export_models.py models [DIR]     MobileNet-V1 (from its layer table), MobileNet-V2, MobileNet-V3-small
                                            and ResNet-18 (torchvision, weights=None: random weights, no download),
                                            batch-norm statistics made non-trivial; DIR/<model>.onnx, DIR/input.npy
                                            (4x3x224x224, seed 0) and DIR/<model>.logits.b1.npy / .b4.npy.
                                            DIR defaults to target/models.
  scripts/export_models.py serve MODEL N    the PyTorch side of `convcl bench --model` (CONVCL_TORCH_BENCH): builds
                                            MODEL as above (2 threads), prints "ready", then answers each line
                                            "eager|frozen RUNS" with the RUNS times in ms of a batch-N forward.
  scripts/export_models.py fixtures [DIR]   the small test networks (every supported operator and fusion):
                                            DIR/<name>.onnx, <name>.input.npy, <name>.output.npy.
                                            DIR defaults to src/test/resources/org/convcl/net.

Run with Debian's /usr/bin/python3 (python3-torch; python3-torchvision for the torchvision models). ONNX opset 13
through torch.onnx.export (the onnx package is not needed), the batch axis dynamic.
"""
import os
import sys

import numpy as np
import torch
from torch import nn

OPSET = 13


def randomize_batch_norm(model, generator):
    """Gives every batch-norm random statistics and affine parameters, so folding them is really tested."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=generator) * 0.2)
            m.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(c, generator=generator) * 0.2)


def conv_bn(cin, cout, stride, groups=1, kernel=3):
    return [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True)]


# MobileNet-V1 (Howard et al. 2017, Table 1): the first full convolution, then (output channels, stride) of each
# depthwise-separable block.
MOBILENET_V1_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


def mobilenet_v1(num_classes=1000):
    layers = conv_bn(3, 32, 2)
    cin = 32
    for cout, stride in MOBILENET_V1_BLOCKS:
        layers += conv_bn(cin, cin, stride, groups=cin) + conv_bn(cin, cout, 1, kernel=1)
        cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(1), nn.Linear(cin, num_classes))


def build_models():
    import torchvision.models as tvm
    return {
        "mobilenet_v1": mobilenet_v1(),
        "mobilenet_v2": tvm.mobilenet_v2(weights=None),
        "mobilenet_v3_small": tvm.mobilenet_v3_small(weights=None),
        "resnet18": tvm.resnet18(weights=None),
    }


def export(model, example, path, opset=OPSET, keep_batch_norm=False):
    """In eval mode torch folds each batch-norm into the convolution before it; keep_batch_norm exports them as
    BatchNormalization nodes (inference mode), so the fixtures test convcl's own folding."""
    training = torch.onnx.TrainingMode.PRESERVE if keep_batch_norm else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(model, example, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}}, do_constant_folding=True, training=training)


def export_models(out):
    os.makedirs(out, exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, 224, 224, generator=generator)
    np.save(os.path.join(out, "input.npy"), x.numpy())
    for name, model in build_models().items():
        torch.manual_seed(1)
        randomize_batch_norm(model, generator)
        model.eval()
        with torch.no_grad():
            export(model, x[:1], os.path.join(out, name + ".onnx"))
            np.save(os.path.join(out, name + ".logits.b1.npy"), model(x[:1]).numpy())
            np.save(os.path.join(out, name + ".logits.b4.npy"), model(x).numpy())
        print(name, "->", os.path.join(out, name + ".onnx"))


# ---- fixtures: small networks, each op and fusion at least once ----

class ConvKinds(nn.Module):
    """Full (BN folded, ReLU fused), depthwise γ=1 with ReLU6 (Clip), pointwise (a separable pair), grouped dilated,
    depthwise γ=2 with stride 2 and no BN, a standalone batch-norm (after an Add, so it cannot fold)."""

    def __init__(self):
        super().__init__()
        self.full = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, 2, 1, groups=8, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        self.pw = nn.Sequential(nn.Conv2d(8, 12, 1, bias=False), nn.BatchNorm2d(12))
        self.grouped = nn.Conv2d(12, 12, 3, 1, 2, dilation=2, groups=3)
        self.dw2 = nn.Conv2d(12, 24, (3, 1), 2, (1, 0), groups=12)
        self.bn = nn.BatchNorm2d(12)

    def forward(self, x):
        y = self.pw(self.dw(self.full(x)))
        y = self.bn(self.grouped(y) + y)
        return self.dw2(y)


class Elementwise(nn.Module):
    """Residual Add + Relu, an SE block (GAP, 1x1 convs, HardSigmoid, Mul broadcast), HardSwish (opset 13 writes it
    as HardSigmoid·x), Sigmoid, Clip to an arbitrary range, Mul by a constant."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(6, 6, 3, 1, 1)
        self.se1 = nn.Conv2d(6, 4, 1)
        self.se2 = nn.Conv2d(4, 6, 1)
        self.scale = nn.Parameter(torch.rand(1, 6, 1, 1) + 0.5)

    def forward(self, x):
        y = torch.relu(self.conv(x) + x)
        s = nn.functional.adaptive_avg_pool2d(y, 1)
        s = nn.functional.hardsigmoid(self.se2(torch.relu(self.se1(s))))
        y = nn.functional.hardswish(y * s)
        return torch.sigmoid(y) * self.scale + torch.clamp(y, -0.5, 0.7)


class Pools(nn.Module):
    """MaxPool with padding and ceil mode; AveragePool in ceil mode over the edge, and with padding not counted."""

    def forward(self, x):
        a = nn.functional.max_pool2d(x, 3, 2, 1, ceil_mode=True)
        b = nn.functional.avg_pool2d(x, 2, 2, 0, ceil_mode=True, count_include_pad=False)  # counted padding: torch adds a Pad
        c = nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=False, count_include_pad=False)
        d = nn.functional.max_pool2d(x, 2, 2, ceil_mode=True)
        return torch.cat([a, b, c, d], dim=1)


class Head(nn.Module):
    """Concat of two branches, Flatten, Gemm (Linear), MatMul (Linear without bias), Reshape, Softmax."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(4, 3, 1)
        self.b = nn.Conv2d(4, 5, 3, 1, 1)
        self.fc = nn.Linear(8 * 3 * 3, 10)
        self.proj = nn.Linear(10, 6, bias=False)

    def forward(self, x):
        y = torch.cat([self.a(x), torch.relu(self.b(x))], dim=1)
        y = self.fc(torch.flatten(y, 1))
        y = self.proj(y).reshape(-1, 2, 3)
        return torch.softmax(y, dim=-1).reshape(-1, 6)


class HardSwishOp(nn.Module):
    """Exported at opset 14, where HardSwish is an operator of its own."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, 1, 1)

    def forward(self, x):
        return nn.functional.hardswish(self.conv(x))


FIXTURES = {
    "conv_kinds": (ConvKinds, (2, 3, 9, 9), OPSET),
    "elementwise": (Elementwise, (2, 6, 7, 7), OPSET),
    "pools": (Pools, (2, 3, 9, 11), OPSET),
    "head": (Head, (3, 4, 3, 3), OPSET),
    "hardswish_op": (HardSwishOp, (2, 3, 5, 5), 14),
}


def export_fixtures(out):
    os.makedirs(out, exist_ok=True)
    for name, (cls, shape, opset) in FIXTURES.items():
        generator = torch.Generator().manual_seed(7)
        torch.manual_seed(7)
        model = cls()
        randomize_batch_norm(model, generator)
        model.eval()
        x = torch.randn(*shape, generator=generator)
        with torch.no_grad():
            export(model, x, os.path.join(out, name + ".onnx"), opset, keep_batch_norm=True)
            y = model(x)
        np.save(os.path.join(out, name + ".input.npy"), x.numpy())
        np.save(os.path.join(out, name + ".output.npy"), y.numpy())
        print(name, tuple(y.shape), "->", os.path.join(out, name + ".onnx"))


def serve(name, batch):
    import time
    torch.set_num_threads(2)
    model = build_models()[name]
    randomize_batch_norm(model, torch.Generator().manual_seed(0))
    model.eval()
    x = torch.randn(batch, 3, 224, 224)
    frozen = torch.jit.freeze(torch.jit.trace(model, x).eval())
    runners = {"eager": model, "frozen": frozen}
    print("ready", flush=True)
    for line in sys.stdin:
        mode, runs = line.split()
        times = []
        for _ in range(int(runs)):
            start = time.perf_counter()
            runners[mode](x)
            times.append((time.perf_counter() - start) * 1e3)
        print(" ".join("%.4f" % t for t in times), flush=True)


def main(argv):
    if len(argv) == 4 and argv[1] == "serve":
        torch.set_grad_enabled(False)
        serve(argv[2], int(argv[3]))
        return 0
    if len(argv) < 2 or argv[1] not in ("models", "fixtures"):
        print(__doc__)
        return 2
    torch.set_grad_enabled(False)
    if argv[1] == "models":
        export_models(argv[2] if len(argv) > 2 else "target/models")
    else:
        export_fixtures(argv[2] if len(argv) > 2 else "src/test/resources/org/convcl/net")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
