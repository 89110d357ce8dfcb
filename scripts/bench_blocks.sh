#!/usr/bin/env bash
# Fused vs unfused depthwise-separable block time on the MobileNet-V1 blocks (org.convcl.cli.BlockBench).
# Usage: scripts/bench_blocks.sh [opencl|cpu] [batches, default 1,8] [runs per path, default 31]
# The two paths of a block are timed in alternation (see BlockBench).
set -euo pipefail
# PoCL: one worker thread pinned per core, as scripts/bench.sh and scripts/convcl run (POCL_AFFINITY=0 to compare).
export POCL_AFFINITY="${POCL_AFFINITY:-1}"
cd "$(dirname "$0")/.."
mvn -q -B -o compile
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn -q -B -o dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
exec java -cp "target/classes:$(cat "$cp_file")" org.convcl.cli.BlockBench "${1:-opencl}" "${2:-1,8}" "${3:-31}"
