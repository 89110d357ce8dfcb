#!/usr/bin/python3
"""Times PyTorch's autograd backward passes per layer of a convcl suite: torch.autograd.grad of F.conv2d's output
with respect to the input (data) and to the weight (filter), median of RUNS after 2 warm-up calls, 2 threads.
Prints one tab-separated row per layer and pass (name, kind, pass, ms). Usage: bench_backward_torch.py suite.json batch runs
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def median_ms(runs, fn):
    for _ in range(2):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def main():
    suite, batch, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(2)
    torch.manual_seed(1)
    cases = json.load(open(suite))["cases"]
    for c in cases:
        x = torch.rand(batch, c["cin"], c["h"], c["w"]) * 2 - 1
        w = torch.rand(c["cout"], c["cin"] // c["groups"], c["kh"], c["kw"]) * 2 - 1
        t, l, b, r = c["pad"]
        assert t == b and l == r, "symmetric padding only"
        x.requires_grad_()
        w.requires_grad_()
        y = F.conv2d(x, w, None, c["stride"], (t, l), c["dil"], c["groups"])
        dy = torch.rand_like(y)
        data = median_ms(runs, lambda: torch.autograd.grad(y, x, dy, retain_graph=True))
        filt = median_ms(runs, lambda: torch.autograd.grad(y, w, dy, retain_graph=True))
        print("%s\t%s\tdata\t%.3f" % (c["name"], c["kind"], data))
        print("%s\t%s\tfilter\t%.3f" % (c["name"], c["kind"], filt))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
