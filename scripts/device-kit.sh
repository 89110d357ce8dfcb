#!/usr/bin/env bash
# Builds the GPU check kit: everything scripts/device-check.sh needs on a machine that has a GPU but no Java, no
# package manager access and no network, in one folder of at most 64 MiB.
#
#   scripts/device-kit.sh [DIR]     (default DIR: target/device-kit, git-ignored with the rest of target/)
#
# DIR then holds:
#   runtime/          a jlink-ed Java runtime with only the modules the tool needs (jdeps on the tool's jar, plus
#                     jdk.zipfs, which reads the suites inside the jar, and jdk.incubator.vector for the CPU backend),
#                     debug symbols stripped, no man pages or header files, compressed
#   convcl-cli.jar    the tool (scripts/tool.sh's ensure_jar builds it) without the JOCL/CLBlast natives of other
#                     platforms than linux-x86_64
#   debs/             Debian packages fetched with `apt-get download`: ocl-icd-libopencl1 (the OpenCL ICD loader) and
#                     clinfo, and the font stack the benchmark's PNG charts need from a headless JVM (FreeType,
#                     HarfBuzz, fontconfig, DejaVu fonts and their libraries), unpacked by device-check.sh without root
#   MANIFEST.txt      what went in: Java version, modules, jar, packages, sizes, the git commit
# It prints the kit's total size and fails when it is over 64 MiB (what a GPU machine's run can carry).
set -euo pipefail
# shellcheck source=scripts/tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/tool.sh"

readonly LIMIT_BYTES=$((64 * 1024 * 1024))
# The OpenCL ICD loader and clinfo, then the libraries and fonts of the JDK's font manager (ldd libfontmanager.so).
# (liblcms2 and libjpeg: the colour and JPEG libraries of the JDK's imaging, also absent from minimal images.)
readonly PACKAGES=(ocl-icd-libopencl1 clinfo
  libfreetype6 libharfbuzz0b libgraphite2-3 libglib2.0-0 libpng16-16 libbrotli1 libpcre2-8-0
  libfontconfig1 libexpat1 fontconfig-config fonts-dejavu-core liblcms2-2 libjpeg62-turbo)
# Modules jdeps cannot see: the zip file system (a service provider) that SuiteLoader opens the jar with.
readonly EXTRA_MODULES=(jdk.zipfs jdk.incubator.vector)

kit="${1:-$root/target/device-kit}"
case "$kit" in /*) ;; *) kit="$PWD/$kit" ;; esac

for tool in jlink jdeps apt-get zip strip; do
  command -v "$tool" >/dev/null || { echo "device-kit.sh: '$tool' not found (needs a JDK 17+ with jlink and jdeps, apt-get, zip, strip)" >&2; exit 1; }
done

ensure_jar device-kit.sh
unset LD_PRELOAD # tool.sh's signal-chaining library is for the tool's JVM, not for jdeps and jlink

rm -rf "$kit"
mkdir -p "$kit/debs"

# The tool's jar without the natives of other platforms (JOCL loads lib/libJOCL_*-linux-x86_64.so there) and without
# XChart's PDF, SVG and EPS exporters (PDFBox, FontBox, VectorGraphics2D): the tool writes PNG charts only.
cp "$jar" "$kit/convcl-cli.jar"
zip -q -d "$kit/convcl-cli.jar" 'lib/apple/*' 'lib/windows/*' 'lib/linux/arm*/*' '*.dylib' '*.dll' '*-arm64.so' \
    '*-aarch64.so' '*-arm32.so' '*-x86.so' '*-ppc64*.so' 'org/apache/pdfbox/*' 'org/apache/fontbox/*' \
    'de/rototor/*' 'de/erichseifert/*' >/dev/null
unzip -tq "$kit/convcl-cli.jar" >/dev/null || { echo "device-kit.sh: the stripped jar does not test clean" >&2; exit 1; }
[[ "$(unzip -Z1 "$kit/convcl-cli.jar")" == *lib/libJOCL_*-linux-x86_64.so* ]] \
  || { echo "device-kit.sh: the stripped jar lost JOCL's linux-x86_64 library" >&2; exit 1; }

# The runtime: the modules the jar uses, as jdeps finds them, plus those it cannot see.
modules="$(jdeps --multi-release 17 --ignore-missing-deps --print-module-deps "$kit/convcl-cli.jar" | tail -n 1)"
[[ "$modules" =~ ^[a-z.,0-9]+$ ]] || { echo "device-kit.sh: jdeps gave no module list: '$modules'" >&2; exit 1; }
for m in "${EXTRA_MODULES[@]}"; do
  [[ ",$modules," == *",$m,"* ]] || modules="$modules,$m"
done
# A headless JVM never loads the X11, sound, splash-screen or AWT-native-interface libraries.
jlink --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=2 \
  --exclude-files='**/libawt_xawt.so,**/libjawt.so,**/libsplashscreen.so,**/libjsound.so' --output "$kit/runtime"
# --strip-debug strips Java's debug attributes only; the native libraries keep their symbol tables (4 MiB in libjvm.so).
find "$kit/runtime" -name '*.so' -exec strip --strip-unneeded {} +
"$kit/runtime/bin/java" --add-modules jdk.incubator.vector -jar "$kit/convcl-cli.jar" --version >/dev/null 2>&1 \
  || { echo "device-kit.sh: the jlink-ed runtime cannot run the tool" >&2; exit 1; }

(cd "$kit/debs" && apt-get download "${PACKAGES[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) \
  || { echo "device-kit.sh: apt-get download ${PACKAGES[*]} failed (run apt-get update?)" >&2; exit 1; }
for p in "${PACKAGES[@]}"; do
  compgen -G "$kit/debs/${p}_*.deb" >/dev/null || { echo "device-kit.sh: package $p was not downloaded" >&2; exit 1; }
done

total=$(du -sb "$kit" | cut -f1)
{
  echo "convcl GPU check kit, built $(date -u +%Y-%m-%dT%H:%M:%SZ) by scripts/device-kit.sh"
  echo "git commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "java: $("$kit/runtime/bin/java" -version 2>&1 | head -n 1)"
  echo "modules: $modules"
  echo "runtime: $(du -sb "$kit/runtime" | cut -f1) bytes"
  echo "convcl-cli.jar: $(stat -c %s "$kit/convcl-cli.jar") bytes (from $(stat -c %s "$jar"))"
  echo "debs:"
  for f in "$kit"/debs/*.deb; do echo "  $(basename "$f") $(stat -c %s "$f") bytes"; done
  echo "total: $total bytes"
} > "$kit/MANIFEST.txt"

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
echo "device-kit.sh: $kit: $(mib "$total") MiB (runtime $(mib "$(du -sb "$kit/runtime" | cut -f1)") MiB," \
  "jar $(mib "$(stat -c %s "$kit/convcl-cli.jar")") MiB, debs $(mib "$(du -sb "$kit/debs" | cut -f1)") MiB; limit 64 MiB)"
if (( total > LIMIT_BYTES )); then
  echo "device-kit.sh: the kit is $total bytes, over the 64 MiB ($LIMIT_BYTES bytes) a GPU machine's run can carry" >&2
  exit 1
fi
