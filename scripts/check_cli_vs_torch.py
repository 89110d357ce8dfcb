#!/usr/bin/python3
"""Checks `scripts/convcl run` against torch.nn.functional.conv2d on random cases of every kind.

Run with Debian's PyTorch:  /usr/bin/python3 scripts/check_cli_vs_torch.py [--backends cpu,opencl] [--seed S]
For each case (full, grouped, depthwise with multiplier 1/2/3, pointwise; strides, dilations, symmetric,
asymmetric and 'same' padding, relu/relu6, with and without bias) and each backend it writes the .npy
inputs, runs the CLI, and compares with PyTorch (computed in float64) under
|a - e| <= 1e-4 + 1e-4*|e|. Prints the worst error per kind and backend; exits 1 on any failure.
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONVCL = ROOT / "scripts" / "convcl"
ATOL = 1e-4
RTOL = 1e-4

# kind: list of (N, Cin, H, W, Cout, KH, KW, stride, padding, dilation, groups, bias, activation)
# padding is an int, a (top, left, bottom, right) tuple, or "same".
CASES = {
    "full": [
        (1, 3, 9, 8, 8, 3, 3, (1, 1), 1, (1, 1), 1, True, "none"),
        (2, 5, 12, 11, 7, 5, 5, (2, 2), 2, (1, 1), 1, True, "relu"),
        (1, 4, 10, 13, 6, 3, 3, (1, 2), (0, 1, 2, 0), (2, 1), 1, False, "none"),
        (1, 3, 11, 7, 4, 1, 7, (1, 1), "same", (1, 1), 1, True, "relu6"),
    ],
    "grouped": [
        (1, 8, 9, 9, 8, 3, 3, (1, 1), 1, (1, 1), 2, True, "none"),
        (2, 6, 10, 7, 9, 3, 3, (2, 2), (1, 0, 1, 2), (1, 1), 3, True, "relu"),
        (1, 12, 8, 8, 4, 5, 1, (1, 1), (2, 0, 2, 0), (1, 1), 4, False, "none"),
    ],
    "depthwise_g1": [
        (1, 16, 14, 14, 16, 3, 3, (1, 1), 1, (1, 1), 16, True, "relu6"),
        (2, 7, 13, 11, 7, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1), 7, True, "none"),
        (1, 5, 12, 12, 5, 5, 5, (1, 1), "same", (2, 2), 5, False, "relu"),
    ],
    "depthwise_g2": [
        (1, 6, 10, 9, 12, 3, 3, (1, 1), 1, (1, 1), 6, True, "none"),
        (2, 4, 11, 12, 8, 3, 3, (2, 1), (0, 1, 2, 1), (1, 2), 4, True, "relu6"),
    ],
    "depthwise_g3": [
        (1, 5, 9, 10, 15, 3, 3, (1, 1), 1, (1, 1), 5, True, "relu"),
        (1, 3, 13, 13, 9, 5, 5, (2, 2), 2, (1, 1), 3, False, "none"),
    ],
    "pointwise": [
        (1, 16, 7, 7, 24, 1, 1, (1, 1), 0, (1, 1), 1, True, "none"),
        (3, 5, 6, 9, 3, 1, 1, (1, 1), 0, (1, 1), 1, False, "relu6"),
        (1, 8, 9, 9, 8, 1, 1, (2, 2), 0, (1, 1), 1, True, "none"),
    ],
}


def pads(padding, h, w, kh, kw, stride, dilation):
    """(top, left, bottom, right) for an int, a 4-tuple or 'same' (extra row/column at bottom/right)."""
    if padding == "same":
        def axis(size, k, s, d):
            out = -(-size // s)
            total = max(0, (out - 1) * s + d * (k - 1) + 1 - size)
            return total // 2, total - total // 2
        top, bottom = axis(h, kh, stride[0], dilation[0])
        left, right = axis(w, kw, stride[1], dilation[1])
        return top, left, bottom, right
    if isinstance(padding, int):
        return (padding,) * 4
    return padding


def flag(value):
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return ",".join(str(v) for v in value)


def run_case(tmp, backend, case, seed):
    n, cin, h, w, cout, kh, kw, stride, padding, dilation, groups, has_bias, act = case
    g = torch.Generator().manual_seed(seed)
    x = torch.rand((n, cin, h, w), generator=g) * 2 - 1
    wt = torch.rand((cout, cin // groups, kh, kw), generator=g) * 2 - 1
    b = torch.rand((cout,), generator=g) * 2 - 1 if has_bias else None
    top, left, bottom, right = pads(padding, h, w, kh, kw, stride, dilation)
    expected = F.conv2d(F.pad(x.double(), (left, right, top, bottom)), wt.double(),
                        None if b is None else b.double(), stride=stride, dilation=dilation, groups=groups)
    if act == "relu":
        expected = F.relu(expected)
    elif act == "relu6":
        expected = F.relu6(expected)
    expected = expected.numpy()
    np.save(tmp / "x.npy", x.numpy().astype("<f4"))
    np.save(tmp / "w.npy", wt.numpy().astype("<f4"))
    out = tmp / "y.npy"
    if out.exists():
        out.unlink()
    cmd = [str(CONVCL), "run", "--input", str(tmp / "x.npy"), "--weight", str(tmp / "w.npy"),
           "--output", str(out), "--stride", flag(stride), "--padding", flag(padding),
           "--dilation", flag(dilation), "--groups", str(groups), "--activation", act, "--backend", backend]
    if b is not None:
        np.save(tmp / "b.npy", b.numpy().astype("<f4"))
        cmd += ["--bias", str(tmp / "b.npy")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return None, "exit %d: %s" % (proc.returncode, proc.stderr.strip())
    actual = np.load(out).astype(np.float64)
    if actual.shape != expected.shape:
        return None, "shape %s, expected %s" % (actual.shape, expected.shape)
    err = np.abs(actual - expected)
    excess = err - (ATOL + RTOL * np.abs(expected))
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    if excess[worst] > 0:
        return float(err.max()), "worst at (n,c,y,x)=%s: got %r, expected %r" % (
            tuple(int(i) for i in worst), actual[worst], expected[worst])
    return float(err.max()), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="cpu,opencl", help="comma-separated (default cpu,opencl)")
    parser.add_argument("--kinds", default=",".join(CASES), help="comma-separated subset of " + ", ".join(CASES))
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in CASES]
    if unknown:
        parser.error("unknown kind(s) %s; choose from %s" % (", ".join(unknown), ", ".join(CASES)))
    failures = 0
    with tempfile.TemporaryDirectory(prefix="convcl-check-") as tmpdir:
        tmp = pathlib.Path(tmpdir)
        print("%-14s %-8s %6s %12s" % ("kind", "backend", "cases", "worst |a-e|"))
        for kind in kinds:
            cases = CASES[kind]
            for backend in backends:
                worst = 0.0
                for i, case in enumerate(cases):
                    seed = args.seed + 1000 * list(CASES).index(kind) + i
                    err, problem = run_case(tmp, backend, case, seed)
                    if err is not None:
                        worst = max(worst, err)
                    if problem:
                        failures += 1
                        print("FAIL %s #%d on %s %s (seed %d): %s" % (kind, i, backend, case, seed, problem))
                print("%-14s %-8s %6d %12.3g" % (kind, backend, len(cases), worst))
    if failures:
        print("%d case(s) failed" % failures)
        return 1
    print("all cases within |a - e| <= %g + %g*|e|" % (ATOL, RTOL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
