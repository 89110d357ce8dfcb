#!/usr/bin/env bash
# Backward passes per layer, convcl (each backend named) and PyTorch autograd in the same run, then a per-kind summary.
# Usage: scripts/bench_backward.sh [suite (mobilenet-v1)] [batch (8)] [runs (5)] [backends (opencl,cpu)]
# Writes bench-results/backward-<timestamp>/{<backend>.tsv,pytorch.tsv,summary.txt}.
set -euo pipefail
# shellcheck source=scripts/tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/tool.sh"
suite="${1:-mobilenet-v1}" batch="${2:-8}" runs="${3:-5}" backends="${4:-opencl,cpu}"
ensure_jar bench_backward
out="$root/bench-results/backward-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
for b in ${backends//,/ }; do
  java "${jvm_flags[@]}" -cp "$jar" "$root/scripts/BenchBackward.java" "$suite" "$batch" "$b" "$runs" | grep -v DEBUG > "$out/$b.tsv"
done
MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 OPENBLAS_NUM_THREADS=2 \
  /usr/bin/python3 "$root/scripts/bench_backward_torch.py" "$root/src/main/resources/org/convcl/cli/suites/$suite.json" \
  "$batch" "$runs" > "$out/pytorch.tsv"
/usr/bin/python3 - "$out" ${backends//,/ } <<'PY' | tee "$out/summary.txt"
import collections, sys
out, backends = sys.argv[1], sys.argv[2:]
def load(name):
    rows = (l.split("\t") for l in open(f"{out}/{name}.tsv").read().split("\n"))
    return {(r[0], r[2]): (r[1].lower(), float(r[3])) for r in rows if len(r) == 4 and r[2] in ("data", "filter")}
torch = load("pytorch")
for b in backends:
    mine = load(b)
    sums = collections.defaultdict(lambda: [0.0, 0.0])
    for (name, p), (kind, ms) in mine.items():
        sums[(p, kind)][0] += ms
        sums[(p, kind)][1] += torch[(name, p)][1]
        sums[(p, "all")][0] += ms
        sums[(p, "all")][1] += torch[(name, p)][1]
    print(f"{b}: pass kind convcl_ms pytorch_ms speed_vs_pytorch")
    for (p, kind), (m, t) in sorted(sums.items()):
        print(f"  {p:7s} {kind:10s} {m:10.2f} {t:10.2f} {t / m:6.2f}x")
PY
