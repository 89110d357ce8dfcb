# Sourced by scripts/convcl, scripts/bench.sh and scripts/bench_blocks.sh: the one place that builds the tool and
# sets up the JVM's environment for it. Defines $root (the checkout), $jar (target/convcl-cli.jar), $java (the JVM),
# $jvm_flags and ensure_jar.
# Builds with plain `mvn package` (never offline): a fresh machine downloads the pom's plugins and dependencies.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/convcl-cli.jar"

# Builds $jar when it is missing or older than a source, kernel or the pom. $1 names the caller in messages.
ensure_jar() {
  local who="$1"
  if [[ -f "$jar" && -z "$(find "$root/src/main" "$root/kernels" "$root/pom.xml" -newer "$jar" -type f -print -quit \
      2>/dev/null)" ]]; then
    return 0
  fi
  echo "$who: building $jar (mvn -q -B -Dmaven.test.skip=true package)..." >&2
  (cd "$root" && mvn -q -B -Dmaven.test.skip=true package >&2) || { echo "$who: build failed" >&2; exit 1; }
}

# The JVM the scripts run: $CONVCL_JAVA when set, else `java` on PATH. Java 17 is the baseline; a Temurin 25 on this
# machine ran the Java CPU backend no faster (MobileNet-V1 stack 0.95-1.2x Java 17's time:
# docs/results/2026-12-07-java-cpu-mobilenet-v1-batch8.md).
java="${CONVCL_JAVA:-java}"

# PoCL installs its own signal handlers, which can take signals the JVM relies on (it uses SIGSEGV and SIGFPE
# internally) and kill it with no hs_err report. The JDK's signal-chaining library keeps the JVM's handlers first.
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v "$java")")")")"
if [[ -f "$java_home/lib/libjsig.so" ]]; then
  export LD_PRELOAD="$java_home/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
fi

# PoCL's CPU driver runs a kernel on one worker thread per core, but leaves their placement to the OS, which
# often puts both on one core for a short kernel (a 0.1 ms layer then takes twice as long, run after run).
# POCL_AFFINITY=1 pins worker i to core i. Set it to 0 to compare.
export POCL_AFFINITY="${POCL_AFFINITY:-1}"

# The Java CPU backend's Vector API kernels need the incubator module (without it: auto-vectorized loops, slower).
# The JDK prints one "Using incubator modules" line on stderr for it.
jvm_flags=(--add-modules jdk.incubator.vector)
# Java 22 and later warn when JOCL loads its native library unless native access is granted.
"$java" --enable-native-access=ALL-UNNAMED -version >/dev/null 2>&1 && jvm_flags+=(--enable-native-access=ALL-UNNAMED)
