#!/usr/bin/env bash
# Whole-network benchmark: exports the four models when missing (scripts/export_models.py, needs Debian's
# python3-torch and python3-torchvision), then runs `convcl bench --model` on each with ONNX Runtime Java (resolved by
# Maven into target/onnxruntime, never part of the library or the tool's jar) and PyTorch in the same run.
#   scripts/bench_models.sh [--batch N] [--rounds R] [--runs K] [--backend all|opencl|cpu] [MODEL...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
ORT_VERSION=1.23.2
args=() models=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --batch|--rounds|--runs|--backend) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n 2,5p "$0"; exit 0 ;;
    *) models+=("$1"); shift ;;
  esac
done
[[ ${#models[@]} -gt 0 ]] || models=(mobilenet_v1 mobilenet_v2 mobilenet_v3_small resnet18)
have_torch=0
/usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null && have_torch=1
if [[ ! -f target/models/resnet18.onnx ]]; then
  if [[ $have_torch == 1 ]]; then /usr/bin/python3 scripts/export_models.py models target/models
  else echo "bench_models.sh: no target/models and no python3-torch/torchvision to export them" >&2; exit 2; fi
fi
[[ -d target/classes/org/convcl/cli ]] || mvn -B -q compile
mvn -B -q dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=target/bench-models.classpath >/dev/null
mvn -B -q dependency:copy -Dartifact=com.microsoft.onnxruntime:onnxruntime:$ORT_VERSION -DoutputDirectory=target/onnxruntime >/dev/null
cp="target/classes:$(cat target/bench-models.classpath):target/onnxruntime/onnxruntime-$ORT_VERSION.jar"
export POCL_AFFINITY=1
# PyTorch keeps its buffers (see shared baselines): otherwise it re-faults them on every call
export MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=536870912 OPENBLAS_NUM_THREADS=2
if [[ $have_torch == 1 ]]; then export CONVCL_TORCH_BENCH="/usr/bin/python3 $root/scripts/export_models.py serve"
else echo "bench_models.sh: python3-torch/torchvision not found: PyTorch is not measured" >&2; fi
for m in "${models[@]}"; do
  java --add-modules jdk.incubator.vector -cp "$cp" org.convcl.cli.Main bench --model "target/models/$m.onnx" "${args[@]}"
  echo
done
