#!/usr/bin/python3
"""Runs convcl benchmark suites through torch.nn.functional.conv2d on the CPU (or, with --device cuda, on a CUDA GPU)
and writes JSON lines in the format of `convcl bench` (backend "pytorch-cpu", "pytorch-cuda" or "pytorch-cuda-tf32"),
for `convcl bench --compare FILE`.

Same cases, same warm-up and statistics as convcl bench: per case, `warmup` untimed calls (continued until
they have lasted 0.1 s) then `runs` timed
calls of the convolution alone (kernel_ms_*, the wall time of each F.conv2d call: PyTorch's CPU kernels run
inside the call, so this includes its dispatch and output allocation, about 0.03 ms for a tiny layer; written
again as call_ms_*, the column convcl fills with the wall time of its own calls), then the same for end-to-end
calls that also copy the input in and the output out of torch (ms_*). With --append, one round of
`convcl bench --rounds N --compare-command` (scripts/bench.sh runs it so). Threads = available cores (torch and OpenBLAS); glibc is told to keep
memory (MALLOC_* variables, see BASELINES.md), so PyTorch does not re-fault its buffers on every call.

For the mobilenet-v1 suite it also writes one "stack" line (kind "network"): the wall time of one pass over all
its selected layers as an eager loop of F.conv2d calls, the network time `convcl bench` puts next to its own
back-to-back stack.

On a GPU (--device cuda) the input and weights live on the GPU, each timed call ends with torch.cuda.synchronize()
(kernel_ms: the wall time of conv2d + synchronize, the GPU's work included; ms: with the copies from and to the host),
and cuDNN's algorithm search is on (torch.backends.cudnn.benchmark, its first calls fall in the warm-up). Plain fp32
is the default (allow_tf32 = False for cuDNN and matmul, backend "pytorch-cuda"); --tf32 leaves PyTorch's TF32
default for convolutions on (backend "pytorch-cuda-tf32": 10-bit mantissa products on Ampere and later).

--pass backward-data / backward-filter / all (comma-separated, default forward) also times the backward passes:
torch.autograd.grad of the layer's output with respect to its input (backward-data) or its weight (backward-filter),
with a fixed random grad_output seeded by the case, the graph built once and kept (retain_graph); same warm-up and
runs, ms_* then adds copying grad_output (and the input, for the filter pass) in and the gradient out. Each record
carries its "pass"; the mobilenet-v1 stack line is forward only.

Run with Debian's python: /usr/bin/python3 scripts/compare_pytorch.py --quick --out torch.jsonl
"""
import argparse
import json
import os
import statistics
import sys
import time
import types
import zlib

ALLOCATOR_ENV = {
    "MALLOC_MMAP_THRESHOLD_": "4294967296",
    "MALLOC_TRIM_THRESHOLD_": "68719476736",
    "MALLOC_TOP_PAD_": "536870912",
}
MIN_WARMUP_NANOS = 100_000_000
# The suite convcl bench also times back to back as a network (Report.STACK_SUITE).
STACK_SUITE = "mobilenet-v1"
MAX_WARMUP_CALLS = 1000
# The passes of `convcl bench --pass`, in its order.
PASSES = ("forward", "backward-data", "backward-filter")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The suites packaged with the tool (SuiteLoader.BUILT_IN).
BUILT_IN_SUITES = os.path.join(REPO, "src", "main", "resources", "org", "convcl", "cli", "suites")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--suites-dir", default=BUILT_IN_SUITES,
                   help="folder of suite files that --suite names (default: convcl's built-in suites, %(default)s)")
    p.add_argument("--suite", action="append", default=[],
                   help="suite name, 'all', or the path of a .json suite file; repeatable or comma-separated "
                        "(default: all), as in `convcl bench --suite`")
    p.add_argument("--quick", action="store_true", help="only the cases marked quick")
    p.add_argument("--batch", type=int, default=1, help="images per input unless a case fixes n (default: 1)")
    p.add_argument("--runs", type=int, default=10, help="timed runs per measurement (default: 10)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs before each measurement (default: 3)")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                   help="torch and OpenBLAS threads (default: available cores, %(default)s)")
    p.add_argument("--out", help="JSON-lines file to write (default: stdout)")
    p.add_argument("--append", action="store_true",
                   help="append to --out instead of replacing it (one round of `convcl bench --rounds`)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where PyTorch runs: cpu (default) or cuda (the first CUDA GPU, or CUDA_VISIBLE_DEVICES's)")
    p.add_argument("--tf32", action="store_true",
                   help="with --device cuda: keep PyTorch's TF32 default for convolutions instead of plain fp32")
    p.add_argument("--pass", dest="passes", action="append", default=[],
                   help="forward, backward-data, backward-filter or all; repeatable or comma-separated (default: "
                        "forward), as in `convcl bench --pass`")
    a = p.parse_args()
    chosen = set()
    for entry in a.passes or ["forward"]:
        for name in entry.split(","):
            name = name.strip().lower()
            if name == "all":
                chosen.update(PASSES)
            elif name in PASSES:
                chosen.add(name)
            else:
                p.error("--pass must be forward, backward-data, backward-filter or all (comma-separated), got '%s'"
                        % name)
    a.passes = [name for name in PASSES if name in chosen]
    for name in ("batch", "runs", "threads"):
        if getattr(a, name) < 1:
            p.error("--%s must be at least 1, got %d" % (name, getattr(a, name)))
    if a.warmup < 0:
        p.error("--warmup must be at least 0, got %d" % a.warmup)
    if a.tf32 and a.device != "cuda":
        p.error("--tf32 needs --device cuda")
    if not os.path.isdir(a.suites_dir):
        p.error("suites directory %s does not exist" % os.path.abspath(a.suites_dir))
    return p, a


def reexec_with_tuned_env(threads):
    """glibc reads the MALLOC_* variables at start-up, so set them (and the thread counts) and start again."""
    wanted = dict(ALLOCATOR_ENV, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if all(os.environ.get(k) == v for k, v in wanted.items()):
        return
    env = dict(os.environ, **wanted)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def load_suites(parser, directory, names):
    """Suites by name (a file <name>.json of directory), 'all', or the path of a file ending in .json."""
    available = sorted(f[:-5] for f in os.listdir(directory) if f.endswith(".json"))
    wanted = []
    for entry in names or ["all"]:
        for name in entry.split(","):
            name = name.strip()
            if name.endswith(".json"):
                chosen = [name]
            elif name == "all":
                chosen = [os.path.join(directory, n + ".json") for n in available]
            elif name in available:
                chosen = [os.path.join(directory, name + ".json")]
            else:
                parser.error("unknown suite '%s' (available in %s: %s, all; or the path of a .json suite file)"
                             % (name, directory, ", ".join(available)))
            for path in chosen:
                if path not in wanted:
                    wanted.append(path)
    suites = []
    for path in wanted:
        try:
            with open(path) as f:
                suites.append(json.load(f))
        except (OSError, ValueError) as e:
            parser.error("cannot read suite file %s: %s" % (path, e))
    return suites


# The long forms of a layer's short fields (LayerJson in the tool): suite files may use either.
LONG_FORMS = {"stride": ("stride_h", "stride_w"), "pad": ("pad_t", "pad_l", "pad_b", "pad_r"), "dil": ("dil_h", "dil_w")}


def axes(case, field, count, default):
    if any(k in case for k in LONG_FORMS[field]):
        return [case[k] for k in LONG_FORMS[field]]
    v = case.get(field, default)
    return [v] * count if isinstance(v, int) else list(v)


def out_size(size, before, after, kernel, stride, dilation):
    return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1


def warm_up(count, call):
    """At least `count` calls and, when count > 0, more until 0.1 s has passed (at most 1000): as convcl bench."""
    start = time.perf_counter_ns()
    i = 0
    while i < count or (count > 0 and i < MAX_WARMUP_CALLS and time.perf_counter_ns() - start < MIN_WARMUP_NANOS):
        call()
        i += 1


def summarise(nanos):
    ms = [t / 1e6 for t in nanos]
    return statistics.median(ms), min(ms), max(ms)


def geometry(case, batch):
    """A case's layer: images n, channels, input size, kernel, strides, pads (top, left, bottom, right),
    dilations, groups, and whether the padding is symmetric (F.conv2d pads only symmetrically)."""
    g = types.SimpleNamespace(n=case.get("n", batch), groups=case.get("groups", 1))
    g.sh, g.sw = axes(case, "stride", 2, 1)
    g.pt, g.pl, g.pb, g.pr = axes(case, "pad", 4, 0)
    g.dh, g.dw = axes(case, "dil", 2, 1)
    g.cin, g.cout, g.h, g.w, g.kh, g.kw = (case[k] for k in ("cin", "cout", "h", "w", "kh", "kw"))
    g.symmetric = g.pt == g.pb and g.pl == g.pr
    return g


def layer(torch, F, case, batch, target, with_weight=False):
    """A case's convolution as a function of its input, and its random input (numpy), seeded by the case name; the
    weights live on `target` (a Target). With with_weight, also the weight tensor the function reads."""
    g = geometry(case, batch)
    gen = torch.Generator().manual_seed(zlib.crc32(case["name"].encode()))
    x_host = (torch.rand(g.n, g.cin, g.h, g.w, generator=gen) * 2 - 1).numpy()
    weight = (torch.rand(g.cout, g.cin // g.groups, g.kh, g.kw, generator=gen) * 2 - 1).to(target.device)

    def conv(x):
        if g.symmetric:
            return F.conv2d(x, weight, None, (g.sh, g.sw), (g.pt, g.pl), (g.dh, g.dw), g.groups)
        return F.conv2d(F.pad(x, (g.pl, g.pr, g.pt, g.pb)), weight, None, (g.sh, g.sw), 0, (g.dh, g.dw), g.groups)

    return (conv, x_host, weight) if with_weight else (conv, x_host)


class Target:
    """Where the convolutions run: the CPU, or a CUDA GPU whose work each timed call waits for."""

    def __init__(self, torch, name, tf32, threads):
        self.device = torch.device(name)
        self.sync = torch.cuda.synchronize if name == "cuda" else (lambda: None)
        if name == "cuda":
            torch.backends.cudnn.benchmark = True
            torch.backends.cudnn.allow_tf32 = tf32
            torch.backends.cuda.matmul.allow_tf32 = tf32
            self.backend = "pytorch-cuda-tf32" if tf32 else "pytorch-cuda"
            self.description = "%s (torch %s, CUDA %s, cuDNN %s, %s)" % (
                torch.cuda.get_device_name(self.device), torch.__version__, torch.version.cuda,
                torch.backends.cudnn.version(), "TF32 allowed" if tf32 else "fp32, TF32 off")
        else:
            self.backend = "pytorch-cpu"
            self.description = "cpu (torch %s, %d threads)" % (torch.__version__, threads)

    def call(self, conv, x):
        """One convolution, finished."""
        y = conv(x)
        self.sync()
        return y

    def end_to_end(self, torch, conv, x_host):
        """Copy the input in, convolve, copy the output out."""
        return conv(torch.from_numpy(x_host.copy()).to(self.device)).cpu().numpy().copy()


def timed(runs, warmup, call):
    """`warmup` calls (warm_up's rule), then the wall time of `runs` calls, in nanoseconds."""
    warm_up(warmup, call)
    times = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - t)
    return times


def forward_times(torch, F, case, batch, runs, warmup, target):
    """Kernel and end-to-end times of the forward pass, and the plan."""
    conv, x_host = layer(torch, F, case, batch, target)
    x = torch.from_numpy(x_host).to(target.device)
    with torch.no_grad():
        kernel = timed(runs, warmup, lambda: target.call(conv, x))
        e2e = timed(runs, warmup, lambda: target.end_to_end(torch, conv, x_host))
    return kernel, e2e, "torch.nn.functional.conv2d"


def backward_times(torch, F, case, batch, runs, warmup, target, pass_name):
    """Kernel and end-to-end times of torch.autograd.grad of the layer's output w.r.t. its input (backward-data) or
    its weight (backward-filter), with a fixed grad_output seeded by the case. The forward graph is built once and
    kept (retain_graph), so a timed call is the backward pass alone. End to end copies grad_output (and, for the filter
    pass, the input, as convcl uploads it) in and the gradient out; the kept graph holds the same input values."""
    conv, x_host, weight = layer(torch, F, case, batch, target, with_weight=True)
    data = pass_name == "backward-data"
    x = torch.from_numpy(x_host).to(target.device).requires_grad_(data)
    weight.requires_grad_(not data)  # conv reads this tensor, so autograd tracks the one it differentiates
    y = conv(x)
    gen = torch.Generator().manual_seed(zlib.crc32(case["name"].encode()) ^ 0xFFFFFFFF)
    dy_host = (torch.rand(y.shape, generator=gen) * 2 - 1).numpy()
    dy = torch.from_numpy(dy_host).to(target.device)
    wrt = x if data else weight

    def on_device():
        grad = torch.autograd.grad(y, wrt, dy, retain_graph=True)[0]
        target.sync()
        return grad

    def end_to_end():
        dy_in = torch.from_numpy(dy_host.copy()).to(target.device)
        if not data:
            torch.from_numpy(x_host.copy()).to(target.device)
        return torch.autograd.grad(y, wrt, dy_in, retain_graph=True)[0].cpu().numpy().copy()

    kernel = timed(runs, warmup, on_device)
    e2e = timed(runs, warmup, end_to_end)
    return kernel, e2e, "torch.autograd.grad w.r.t. " + ("input" if data else "weight")


def measure(torch, F, case, batch, runs, warmup, target, pass_name="forward"):
    g = geometry(case, batch)
    n, sh, sw, pt, pl, pb, pr, dh, dw = g.n, g.sh, g.sw, g.pt, g.pl, g.pb, g.pr, g.dh, g.dw
    groups, cin, cout, h, w, kh, kw = g.groups, g.cin, g.cout, g.h, g.w, g.kh, g.kw
    if pass_name == "forward":
        kernel, e2e, plan = forward_times(torch, F, case, batch, runs, warmup, target)
    else:
        kernel, e2e, plan = backward_times(torch, F, case, batch, runs, warmup, target, pass_name)

    oh, ow = out_size(h, pt, pb, kh, sh, dh), out_size(w, pl, pr, kw, sw, dw)
    macs = n * cout * oh * ow * (cin // groups) * kh * kw
    params = cout * (cin // groups) * kh * kw
    nbytes = 4 * (n * cin * h * w + params + n * cout * oh * ow)
    k_med, k_min, k_max = summarise(kernel)
    e_med, e_min, e_max = summarise(e2e)
    return {
        "suite": None, "case": case["name"], "kind": case["kind"], "backend": target.backend, "device": target.description,
        "n": n, "cin": cin, "h": h, "w": w, "cout": cout, "kh": kh, "kw": kw, "stride_h": sh, "stride_w": sw,
        "pad_t": pt, "pad_l": pl, "pad_b": pb, "pad_r": pr, "dil_h": dh, "dil_w": dw, "groups": groups,
        "oh": oh, "ow": ow, "macs": macs, "params": params, "bytes": nbytes, "runs": runs, "warmup": warmup,
        "ms_median": e_med, "ms_min": e_min, "ms_max": e_max,
        "kernel_ms_median": k_med, "kernel_ms_min": k_min, "kernel_ms_max": k_max,
        # A call's wall time is what kernel_ms measures here (convcl's kernel_ms is the device's time, its call_ms
        # the wall time of enqueue + run + wait): the same numbers under both names.
        "call_ms_median": k_med, "call_ms_min": k_min, "call_ms_max": k_max,
        "gflops": 2 * macs / (k_med * 1e6), "gbps": nbytes / (k_med * 1e6),
        "plan": plan + ("" if g.symmetric else " after F.pad"), "pass": pass_name,
    }


def measure_stack(torch, F, suite, cases, batch, runs, warmup, target):
    """The suite's layers as an eager network: one pass = every F.conv2d call in order, each on its own
    preallocated input (the layers do not feed each other, as in convcl bench's back-to-back stack), timed per pass
    with the same warm-up rule; a stack line (kind "network") for `convcl bench --compare`."""
    layers = [layer(torch, F, case, batch, target) for case in cases]
    inputs = [(conv, torch.from_numpy(x_host).to(target.device)) for conv, x_host in layers]

    def one_pass():
        for conv, x in inputs:
            conv(x)
        target.sync()

    with torch.no_grad():
        warm_up(warmup, one_pass)
        passes = []
        for _ in range(runs):
            t = time.perf_counter_ns()
            one_pass()
            passes.append(time.perf_counter_ns() - t)
    med, lo, hi = summarise(passes)
    return {"suite": suite, "case": "stack", "kind": "network", "backend": target.backend, "device": target.description,
            "n": batch, "layers": len(cases), "runs": runs, "warmup": warmup,
            "ms_median": med, "ms_min": lo, "ms_max": hi}


def main():
    parser, args = parse_args()
    try:
        import torch  # noqa: F401  (checked before re-executing, so a missing torch is reported at once)
    except ImportError as e:
        sys.exit("compare_pytorch.py: PyTorch is not installed for %s (%s); on Debian/Ubuntu: "
                 "apt-get install python3-torch, then run with /usr/bin/python3" % (sys.executable, e))
    reexec_with_tuned_env(args.threads)
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("compare_pytorch.py: --device cuda, but torch %s sees no CUDA GPU" % torch.__version__)
    target = Target(torch, args.device, args.tf32, args.threads)
    suites = load_suites(parser, args.suites_dir, args.suite)
    cases = [(s["suite"], c) for s in suites for c in s["cases"] if c.get("quick", False) or not args.quick]
    out = open(args.out, "a" if args.append else "w") if args.out else sys.stdout
    try:
        for i, (suite, case) in enumerate(cases):
            print("\r[pytorch %3d/%d] %-50s" % (i + 1, len(cases), suite + "/" + case["name"]), end="",
                  file=sys.stderr, flush=True)
            for pass_name in args.passes:
                row = measure(torch, F, case, args.batch, args.runs, args.warmup, target, pass_name)
                row["suite"] = suite
                out.write(json.dumps(row) + "\n")
                out.flush()
        for s in suites:
            if s["suite"] != STACK_SUITE or "forward" not in args.passes:
                continue
            stack_cases = [c for c in s["cases"] if c.get("quick", False) or not args.quick]
            if not stack_cases:
                continue
            print("\r[pytorch] %-55s" % (STACK_SUITE + " back to back"), end="", file=sys.stderr, flush=True)
            row = measure_stack(torch, F, STACK_SUITE, stack_cases, args.batch, args.runs, args.warmup, target)
            out.write(json.dumps(row) + "\n")
            out.flush()
        print(file=sys.stderr)
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
