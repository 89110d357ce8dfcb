#!/usr/bin/env bash
# Fused vs unfused depthwise-separable block time on the seed pairs' blocks (the nine MobileNet-V1 blocks and seed
# 002's gamma blocks) at several batch sizes (org.convcl.cli.BlockBench, run from the tool jar). `convcl bench` and
# scripts/bench.sh time the same blocks the same way (report rows of kind "block"); this prints them for a list of
# batch sizes. Usage: scripts/bench_blocks.sh [opencl|cpu] [batches, default 1,8] [runs per path, default 31]
# The two paths of a block are timed in alternation (see BenchRunner.timeBlockPaths). JAVA_OPTS goes to the JVM.
set -euo pipefail
# shellcheck source=scripts/tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/tool.sh"
ensure_jar bench_blocks.sh
# shellcheck disable=SC2086
exec "$java" "${jvm_flags[@]}" ${JAVA_OPTS:-} -cp "$jar" org.convcl.cli.BlockBench "${1:-opencl}" "${2:-1,8}" "${3:-31}"
