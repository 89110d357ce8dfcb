#!/usr/bin/env bash
# The main job: benchmark every device found (each OpenCL device and the Java CPU backend) on the suites built
# into the tool (src/main/resources/org/convcl/cli/suites), and write the report to bench-results/<timestamp>-<device>/.
#
#   scripts/bench.sh                 the quick subset, then the whole-model step (about 3.5 minutes on 2 cores, compiled)
#   scripts/bench.sh --full          every case of every suite, at batch 1 and then at batch 8
#   scripts/bench.sh --full --batch 8 --suite mobilenet-v1,seed-pairs
#   scripts/bench.sh --no-torch      skip the PyTorch comparison (and the whole-model step, which needs PyTorch)
#   scripts/bench.sh --no-models     skip the whole-model step
#   scripts/bench.sh --full --backend opencl,clblast   convcl next to CLBlast (JOCLBlast) on each OpenCL device
#   scripts/bench.sh --full --rounds 5   five alternating rounds of PyTorch and convcl (--full default: 3)
#   scripts/bench.sh --full --batch 8 --suite mobilenet-v1 --pass all   backward data and filter too, PyTorch's
#                                    torch.autograd.grad on the same layers in the same rounds
#   scripts/bench.sh --help          the options of `convcl bench`
#
# Builds target/convcl-cli.jar when it is missing or older than the sources (scripts/tool.sh). When /usr/bin/python3 has
# PyTorch, runs scripts/compare_pytorch.py on the same cases so PyTorch's CPU numbers appear next to convcl's:
# in each of the `--rounds` rounds PyTorch measures every case, then convcl does, and each side reports the
# median of its rounds' medians. Alternating keeps both sides on the same machine state: on this shared 2-core
# machine the load changes within minutes and moves sub-millisecond layers by up to 2x (docs/benchmarks.md).
# The report also holds the fused vs unfused time of the seed pairs' blocks (rows of kind "block", blocks.png).
# Then, when /usr/bin/python3 has PyTorch and torchvision, the whole-model step: scripts/bench_models.sh on the four
# exported CNNs (convcl on each backend, ONNX Runtime Java, PyTorch eager and frozen, alternating rounds, then the
# per-node breakdown: share of time, GFLOP/s), written to bench-results/models-<timestamp>.txt; batch 1 and one round
# in the quick run (budget 10 minutes), batch 1 and 4 and three rounds with --full (budget 30 minutes).
# Other arguments go to `convcl bench` unchanged. JAVA_OPTS goes to the JVM.
set -euo pipefail
# shellcheck source=scripts/tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/tool.sh"
torch_python=/usr/bin/python3

quick=(--quick)
torch=yes
models=yes
args=()
for a in "$@"; do
  case "$a" in
    --full) quick=() ;;
    --quick) quick=(--quick) ;;
    --no-torch) torch=no ;;
    --no-models) models=no ;;
    *) args+=("$a") ;;
  esac
done

ensure_jar bench.sh

# One benchmark run: PyTorch first (when available), then `convcl bench` with the comparison merged in.
# Arguments: the `convcl bench` arguments of this run.
run_bench() {
  local args=("$@")
  # Help, version and explicit --compare / --format runs go straight to the tool.
  compare=()
  want_torch=$torch
  for a in "${args[@]+"${args[@]}"}"; do
    case "$a" in
      -h|--help|-V|--version|--compare|--compare=*) want_torch=no ;;
    esac
  done

  # --full measures three rounds unless --rounds says otherwise; the quick run one.
  rounds=()
  [[ ${#quick[@]} -eq 0 ]] && rounds=(--rounds 3)
  for a in "${args[@]+"${args[@]}"}"; do
    case "$a" in --rounds|--rounds=*) rounds=() ;; esac
  done

  if [[ $want_torch == yes ]] && "$torch_python" -c 'import torch' >/dev/null 2>&1; then
    # The PyTorch run takes the same suite, batch, runs, warm-up and pass options.
    py_args=()
    i=0
    while (( i < ${#args[@]} )); do
      a="${args[$i]}"
      case "$a" in
        --suite|--batch|--runs|--warmup|--suites-dir|--pass)
          (( i + 1 < ${#args[@]} )) && py_args+=("$a" "${args[$((i + 1))]}"); i=$((i + 1)) ;;
        --suite=*|--batch=*|--runs=*|--warmup=*|--suites-dir=*|--pass=*) py_args+=("$a") ;;
      esac
      i=$((i + 1))
    done
    mkdir -p "$root/bench-results"
    torch_out="$root/bench-results/pytorch-$(date +%Y%m%d-%H%M%S).jsonl"
    echo "bench.sh: measuring PyTorch on the same cases before each round of convcl ($torch_out)" >&2
    : > "$torch_out"
    # One PyTorch round, appended to the file; `convcl bench` runs it before each of its own rounds.
    torch_round=$(printf '%q ' "$torch_python" "$root/scripts/compare_pytorch.py" "${quick[@]+"${quick[@]}"}" \
        "${py_args[@]+"${py_args[@]}"}" --append --out "$torch_out")
    compare=(--compare "$torch_out" --compare-command "$torch_round")
  elif [[ $want_torch == yes ]]; then
    echo "bench.sh: $torch_python has no PyTorch (apt-get install python3-torch); no comparison" >&2
  fi

  # The repository's results folder, unless given.
  defaults=(--out "$root/bench-results")
  for a in "${args[@]+"${args[@]}"}"; do
    case "$a" in
      --out|--out=*) defaults=() ;;
    esac
  done

  # shellcheck disable=SC2086
  "$java" "${jvm_flags[@]}" ${JAVA_OPTS:-} -jar "$jar" bench "${defaults[@]+"${defaults[@]}"}" \
    "${quick[@]+"${quick[@]}"}" "${rounds[@]+"${rounds[@]}"}" "${compare[@]+"${compare[@]}"}" "${args[@]+"${args[@]}"}"
}

# The whole-model step: scripts/bench_models.sh within a time budget, its output kept in bench-results/.
run_models() {
  if [[ $models == no ]]; then
    echo "bench.sh: --no-models: the whole-model step is skipped" >&2; return 0
  fi
  for a in "${args[@]+"${args[@]}"}"; do
    case "$a" in -h|--help|-V|--version) return 0 ;; esac
  done
  if [[ $torch == no ]]; then
    echo "bench.sh: --no-torch: the whole-model step (scripts/bench_models.sh) is skipped: it exports the models with PyTorch" >&2
    return 0
  fi
  if ! "$torch_python" -c 'import torch, torchvision' >/dev/null 2>&1; then
    echo "bench.sh: $torch_python has no PyTorch and torchvision (apt-get install python3-torchvision): the whole-model" \
        "step (scripts/bench_models.sh) is skipped" >&2
    return 0
  fi
  local model_args=(--batch 1 --rounds 1) budget=600
  [[ ${#quick[@]} -eq 0 ]] && model_args=(--batch 1,4 --rounds 3) && budget=1800
  mkdir -p "$root/bench-results"
  local out
  out="$root/bench-results/models-$(date +%Y%m%d-%H%M%S).txt"
  echo "bench.sh: whole models (scripts/bench_models.sh ${model_args[*]}, budget ${budget} s) -> $out" >&2
  local status=0
  # pipefail: the status is bench_models.sh's (124 when the budget stopped it), not tee's
  timeout --foreground "$budget" "$root/scripts/bench_models.sh" "${model_args[@]}" 2>&1 | tee "$out" || status=$?
  if [[ $status == 124 ]]; then
    echo "bench.sh: the whole-model step ran past its budget of $budget s and was stopped; what it measured is in $out" >&2
  fi
  return "$status"
}

# --full without --batch measures batch 1 and then batch 8 (two report folders); otherwise one run.
explicit_batch=no
for a in "${args[@]+"${args[@]}"}"; do
  case "$a" in --batch|--batch=*) explicit_batch=yes ;; esac
done
status=0
if [[ ${#quick[@]} -eq 0 && $explicit_batch == no ]]; then
  for batch in 1 8; do
    run_bench "${args[@]+"${args[@]}"}" --batch "$batch" || status=$?
  done
else
  run_bench "${args[@]+"${args[@]}"}" || status=$?
fi
run_models || status=$?
exit "$status"
