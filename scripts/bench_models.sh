#!/usr/bin/env bash
# Whole-network benchmark: exports the four models when missing (scripts/export_models.py, needs Debian's
# python3-torch and python3-torchvision), then runs `convcl bench --model` on each, at each batch, with ONNX Runtime
# Java (resolved by Maven into target/onnxruntime, never part of the library or the tool's jar) and PyTorch in the
# same run, alternating rounds; each run ends with every convcl backend's per-node breakdown.
#   scripts/bench_models.sh [--batch N[,N...]] [--rounds R] [--runs K] [--backend all|opencl|cpu] [MODEL...]
set -euo pipefail
# shellcheck source=scripts/tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/tool.sh"
cd "$root"
ORT_VERSION=1.23.2
args=() models=() batches=(1)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --batch) IFS=, read -r -a batches <<< "$2"; shift 2 ;;
    --rounds|--runs|--backend) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    -*) echo "bench_models.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[[ ${#models[@]} -gt 0 ]] || models=(mobilenet_v1 mobilenet_v2 mobilenet_v3_small resnet18)
have_torch=0
/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null && have_torch=1
for m in "${models[@]}"; do
  [[ -f "target/models/$m.onnx" ]] && continue
  if [[ $have_torch == 1 ]]; then /usr/bin/python3 scripts/export_models.py models target/models >&2; break
  else echo "bench_models.sh: target/models/$m.onnx is missing and there is no python3-torch/torchvision to export it" >&2; exit 2; fi
done
ensure_jar bench_models.sh
ort_jar="target/onnxruntime/onnxruntime-$ORT_VERSION.jar"
[[ -f "$ort_jar" ]] || mvn -B -q dependency:copy -Dartifact="com.microsoft.onnxruntime:onnxruntime:$ORT_VERSION" \
    -DoutputDirectory=target/onnxruntime >&2
# PyTorch keeps its buffers (see shared baselines): otherwise it re-faults them on every call
export MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 OPENBLAS_NUM_THREADS=2
if [[ $have_torch == 1 ]]; then export CONVCL_TORCH_BENCH="/usr/bin/python3 $root/scripts/export_models.py serve"
else echo "bench_models.sh: python3-torch/torchvision not found: PyTorch is not measured" >&2; fi
echo "bench_models.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), load average$(uptime | sed 's/.*load average//')"
for batch in "${batches[@]}"; do
  for m in "${models[@]}"; do
    "$java" "${jvm_flags[@]}" -cp "$jar:$ort_jar" org.convcl.cli.Main bench --model "target/models/$m.onnx" --batch "$batch" \
        "${args[@]+"${args[@]}"}"
    echo
  done
done
