#!/usr/bin/env bash
# Checks convcl on the machine it runs on (made for a GPU machine with no Java, no root and no network), with the kit
# scripts/device-kit.sh built, and writes what it saw into OUT.
#
#   scripts/device-check.sh [--smoke] [--pack] OUT
#
# Run from a copy of the repository with the kit folder in it (target/device-kit, or $CONVCL_KIT). It
#   - unpacks the kit's Debian packages into a private folder (no root, no apt): the OpenCL ICD loader, clinfo and the
#     font stack of the JVM's PNG charts, used through LD_LIBRARY_PATH and FONTCONFIG_FILE;
#   - registers the OpenCL drivers in a private ICD folder (OCL_ICD_VENDORS): NVIDIA's libnvidia-opencl.so.1, searched
#     in the driver's folders and ldconfig's cache, and every entry of /etc/OpenCL/vendors;
#   - runs, each with a time limit and its output under OUT/details: clinfo, `convcl devices`, `convcl selftest` with
#     the GPU and the CPU kernel family, PyTorch on CUDA when python3 has it (scripts/compare_pytorch.py, fp32 with TF32
#     off and the TF32 default as a second series), `convcl bench` of the MobileNet-V1 stack at batch 32 and 1 (next to
#     PyTorch's when it ran) and `convcl bench --quick`;
#   - writes OUT/report.md: each step, its status and time, what it could not do, and the steps' summaries.
# The steps share a budget of 450 s (7.5 minutes); a step that would start after it is reported as not run.
#
#   --smoke   a short run for CI on a CPU device: `selftest --quick`; benchmarks of the cases marked quick with 2 runs,
#             batch 2 instead of 32, and the last one on the odd and resnet suites only
#   --pack    leave only OUT/report.md and OUT/details.tar.gz (a GPU machine's run returns at most 8 files)
#
# The kit's Java runtime is used when it runs here, else the `java` on PATH (this machine's JDK standing in); the kit's
# jar, else target/convcl-cli.jar. Exit code: 0 when every step that ran passed, 1 otherwise, 2 for bad arguments.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly BUDGET_S=450

smoke=no
pack=no
out=""
for a in "$@"; do
  case "$a" in
    --smoke) smoke=yes ;;
    --pack) pack=yes ;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "device-check.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
    *) [[ -z "$out" ]] || { echo "device-check.sh: one OUT folder, got '$out' and '$a'" >&2; exit 2; }; out="$a" ;;
  esac
done
[[ -n "$out" ]] || { echo "usage: scripts/device-check.sh [--smoke] [--pack] OUT" >&2; exit 2; }
mkdir -p "$out" || { echo "device-check.sh: cannot create OUT folder '$out'" >&2; exit 2; }
out="$(cd "$out" && pwd)"
details="$out/details"
rm -rf "$details" "$out/report.md" "$out/details.tar.gz"
mkdir -p "$details"
kit="${CONVCL_KIT:-$root/target/device-kit}"
work="$(mktemp -d "${TMPDIR:-/tmp}/convcl-device-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

notes=()   # what could not be done, for the report
rows=()    # report table rows
failed=0

note() { notes+=("$1"); echo "device-check.sh: $1" >&2; }

# run_step NAME LIMIT_S LOG CMD...: runs CMD with the limit (cut to what is left of the budget), output to LOG.
run_step() {
  local name="$1" limit="$2" log="$3"; shift 3
  local left=$((BUDGET_S - ($(date +%s) - started)))
  if (( left < 15 )); then
    rows+=("| $name | not run | - | - | the ${BUDGET_S} s budget was spent |")
    note "$name: not run, the ${BUDGET_S} s budget was spent"
    failed=1
    return 1
  fi
  (( limit > left )) && limit=$left
  echo "device-check.sh: $name (limit ${limit} s) -> ${log#"$out"/}" >&2
  local t0 rc status
  t0=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@" > "$log" 2>&1
  rc=$?
  local secs
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  case $rc in
    0) status=ok ;;
    124|137) status="TIMEOUT (${limit} s)"; failed=1 ;;
    *) status="FAIL (exit $rc)"; failed=1 ;;
  esac
  # The log's last line as a terminal would show it (after a progress bar's carriage returns), without colours.
  local last
  last="$(tail -n 1 "$log" | tr '\r' '\n' | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-160 | tr '|' '/')"
  rows+=("| $name | $status | $secs | ${log#"$out"/} | $last |")
  return $rc
}

# ---- the kit: Java, the jar, the packages ----
java_bin=""
if [[ -x "$kit/runtime/bin/java" ]] && "$kit/runtime/bin/java" -version >/dev/null 2>&1; then
  java_bin="$kit/runtime/bin/java"
elif command -v java >/dev/null; then
  java_bin="$(command -v java)"
  note "the kit's Java runtime ($kit/runtime) is missing or does not run here; using $java_bin"
fi
jar_file="$kit/convcl-cli.jar"
if [[ ! -f "$jar_file" ]]; then
  jar_file="$root/target/convcl-cli.jar"
  note "no kit jar ($kit/convcl-cli.jar); using $jar_file"
fi

sys="$work/sys"
mkdir -p "$sys"
unpack() { # unpack DEB: into $sys, with dpkg-deb, else ar and tar
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$1" "$sys"
  elif command -v ar >/dev/null; then
    (cd "$work" && rm -f data.tar.* && ar x "$1" && tar -xf data.tar.* -C "$sys")
  else
    return 1
  fi
}
debs=("$kit"/debs/*.deb)
if [[ -e "${debs[0]}" ]]; then
  for d in "${debs[@]}"; do unpack "$d" || note "cannot unpack $(basename "$d") (neither dpkg-deb nor ar found)"; done
else
  note "no packages in $kit/debs (run scripts/device-kit.sh): using this machine's OpenCL loader, clinfo and fonts"
fi
libs="$sys/usr/lib/x86_64-linux-gnu:$sys/lib/x86_64-linux-gnu"
fonts_conf="$work/fonts.conf"
if [[ -d "$sys/usr/share/fonts" ]]; then
  printf '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>%s</dir><cachedir>%s</cachedir></fontconfig>\n' \
    "$sys/usr/share/fonts" "$work/fontconfig-cache" > "$fonts_conf"
fi

# ---- the OpenCL drivers, in a private ICD folder ----
icd="$work/icd"
mkdir -p "$icd"
searched=(/usr/lib/x86_64-linux-gnu /usr/local/nvidia /usr/lib64 /usr/local/cuda*)
nvidia_lib=""
for d in "${searched[@]}"; do
  [[ -d "$d" ]] || continue
  nvidia_lib="$(find "$d" -maxdepth 4 -name 'libnvidia-opencl.so.1' \( -type f -o -type l \) 2>/dev/null | head -n 1)"
  [[ -z "$nvidia_lib" ]] && nvidia_lib="$(find "$d" -maxdepth 4 -name 'libnvidia-opencl.so.*' -type f 2>/dev/null | head -n 1)"
  [[ -n "$nvidia_lib" ]] && break
done
if [[ -z "$nvidia_lib" ]] && command -v ldconfig >/dev/null; then
  nvidia_lib="$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so/ { print $NF; exit }')"
fi
icd_lines=()
if [[ -n "$nvidia_lib" ]]; then
  echo "$nvidia_lib" > "$icd/nvidia-convcl.icd"
  icd_lines+=("nvidia-convcl.icd: $nvidia_lib (found)")
else
  note "no NVIDIA OpenCL driver (libnvidia-opencl.so.1) found; searched ${searched[*]} (4 levels down) and ldconfig -p"
fi
for f in /etc/OpenCL/vendors/*.icd; do
  [[ -f "$f" ]] || continue
  if [[ -n "$nvidia_lib" ]] && grep -q 'libnvidia-opencl' "$f"; then
    icd_lines+=("$(basename "$f"): skipped, NVIDIA's driver is registered by its path above")
    continue
  fi
  cp "$f" "$icd/"
  icd_lines+=("$(basename "$f"): $(head -n 1 "$f") (from /etc/OpenCL/vendors)")
done
(( ${#icd_lines[@]} )) || note "no OpenCL driver to register: OpenCL steps will find no platform"

# The environment of every program from the kit: its loader and libraries first, its fonts, the private ICD folder.
kit_env=(env "LD_LIBRARY_PATH=$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "OCL_ICD_VENDORS=$icd" "POCL_AFFINITY=${POCL_AFFINITY:-1}")
[[ -f "$fonts_conf" ]] && kit_env+=("FONTCONFIG_FILE=$fonts_conf")
java_home="$(dirname "$(dirname "$(readlink -f "$java_bin" 2>/dev/null || echo /nonexistent/bin/java)")")"
# PoCL's signal handlers must chain to the JVM's (scripts/tool.sh); harmless elsewhere.
[[ -f "$java_home/lib/libjsig.so" ]] && kit_env+=("LD_PRELOAD=$java_home/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}")
convcl=("${kit_env[@]}" "$java_bin" --add-modules jdk.incubator.vector -Djava.awt.headless=true -jar "$jar_file")

# ---- the steps ----
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -a)"
  echo "cpus: $(nproc)"
  [[ -f "$kit/MANIFEST.txt" ]] && { echo "--- kit"; cat "$kit/MANIFEST.txt"; }
  echo "--- java: $java_bin"; "$java_bin" -version 2>&1
  echo "--- OpenCL drivers registered in OCL_ICD_VENDORS"; printf '%s\n' "${icd_lines[@]+"${icd_lines[@]}"}"
  if command -v nvidia-smi >/dev/null; then echo "--- nvidia-smi"; nvidia-smi 2>&1; fi
} > "$details/environment.log" 2>&1

if [[ -z "$java_bin" ]]; then
  note "no Java runtime (neither the kit's nor one on PATH): convcl steps not run"
  failed=1
fi

clinfo_bin="$sys/usr/bin/clinfo"
[[ -x "$clinfo_bin" ]] || clinfo_bin="$(command -v clinfo || true)"
if [[ -n "$clinfo_bin" ]]; then
  run_step clinfo 60 "$details/clinfo.log" "${kit_env[@]}" "$clinfo_bin"
else
  note "clinfo: not run, neither the kit's nor one on PATH"
fi

if [[ -n "$java_bin" ]]; then
  run_step "convcl devices" 60 "$details/devices.log" "${convcl[@]}" devices
  selftest_args=()
  [[ $smoke == yes ]] && selftest_args=(--quick)
  run_step "convcl selftest --kernels gpu" 180 "$details/selftest-gpu.log" "${convcl[@]}" selftest --kernels gpu "${selftest_args[@]+"${selftest_args[@]}"}"
  run_step "convcl selftest --kernels cpu" 180 "$details/selftest-cpu.log" "${convcl[@]}" selftest --kernels cpu "${selftest_args[@]+"${selftest_args[@]}"}"
fi

big_batch=32
bench_args=(--backend opencl)
stack_args=()
quick_suites=()
torch_args=()
if [[ $smoke == yes ]]; then
  big_batch=2
  bench_args+=(--runs 2 --warmup 1)
  stack_args=(--quick)
  quick_suites=(--suite odd,resnet)
  torch_args=(--quick --runs 2 --warmup 1)
fi

# PyTorch on CUDA: the same MobileNet-V1 layers, fp32 (TF32 off) then the TF32 default, one file per batch.
torch_ok=no
if ! command -v python3 >/dev/null; then
  note "PyTorch: not run, no python3"
elif ! python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)' > "$details/torch-probe.log" 2>&1; then
  note "PyTorch: not run, python3 has no torch with a CUDA GPU ($(tail -n 1 "$details/torch-probe.log" | cut -c1-120))"
else
  torch_ok=yes
  for batch in "$big_batch" 1; do
    for series in fp32 tf32; do
      extra=()
      [[ $series == tf32 ]] && extra=(--tf32)
      run_step "pytorch cuda $series mobilenet-v1 batch $batch" 120 "$details/pytorch-$series-b$batch.log" \
        python3 "$root/scripts/compare_pytorch.py" --device cuda "${extra[@]+"${extra[@]}"}" --suite mobilenet-v1 \
        --batch "$batch" "${torch_args[@]+"${torch_args[@]}"}" --append --out "$details/pytorch-b$batch.jsonl" || torch_ok=no
    done
  done
fi
rm -f "$details/torch-probe.log"

if [[ -n "$java_bin" ]]; then
  for batch in "$big_batch" 1; do
    compare=()
    [[ -s "$details/pytorch-b$batch.jsonl" ]] && compare=(--compare "$details/pytorch-b$batch.jsonl")
    run_step "convcl bench mobilenet-v1 batch $batch" 200 "$details/bench-mobilenet-b$batch.log" "${convcl[@]}" bench \
      --suite mobilenet-v1 --batch "$batch" "${bench_args[@]}" "${stack_args[@]+"${stack_args[@]}"}" "${compare[@]+"${compare[@]}"}" --out "$details/bench-mobilenet-b$batch"
  done
  run_step "convcl bench --quick" 150 "$details/bench-quick.log" "${convcl[@]}" bench --quick "${bench_args[@]}" \
    "${quick_suites[@]+"${quick_suites[@]}"}" --out "$details/bench-quick"
fi

# ---- the report ----
total=$(( $(date +%s) - started ))
{
  echo "# convcl device check"
  echo
  echo "$(date -u +%Y-%m-%d) on $(hostname), $(nproc) CPUs, by \`scripts/device-check.sh$([[ $smoke == yes ]] && echo " --smoke")\`" \
    "($([[ $smoke == yes ]] && echo "smoke run: selftest --quick, quick benchmark cases with 2 runs, batch $big_batch" || echo "full run"))" \
    "in $total s of a ${BUDGET_S} s budget."
  echo
  echo "- Java: \`$java_bin\`; jar: \`$jar_file\`"
  echo "- OpenCL drivers registered:"
  for l in "${icd_lines[@]+"${icd_lines[@]}"}"; do echo "  - $l"; done
  [[ -f "$kit/MANIFEST.txt" ]] && echo "- kit: $(sed -n 2p "$kit/MANIFEST.txt"), $(grep '^total' "$kit/MANIFEST.txt")"
  echo
  echo "| step | status | time s | log (under OUT) | last line |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]+"${rows[@]}"}"
  echo
  echo "## Not done"
  echo
  if (( ${#notes[@]} )); then printf -- '- %s\n' "${notes[@]}"; else echo "Nothing: every step ran."; fi
  for f in "$details"/selftest-*.log; do
    [[ -f "$f" ]] || continue
    echo
    echo "## $(basename "$f" .log)"
    echo
    echo '```'
    grep -E '^selftest on ' "$f"
    grep -E '  FAIL' "$f" | head -n 40
    grep -E '^selftest: ' "$f" || tail -n 3 "$f"
    echo '```'
  done
  for s in "$details"/bench-*/*/summary.md; do
    [[ -f "$s" ]] || continue
    echo
    echo "## $(basename "$(dirname "$(dirname "$s")")"): $(basename "$(dirname "$s")")"
    echo
    sed 's/^#/###/' "$s"
  done
} > "$out/report.md"

if [[ $pack == yes ]]; then
  tar -czf "$out/details.tar.gz" -C "$out" details && rm -rf "$details"
fi
echo "device-check.sh: $out/report.md ($total s)" >&2
exit "$failed"
