#!/usr/bin/env bash
# Runs tests of common/ (or any module) on an emulated AVX2-only CPU, from a machine of any x86
# kind: the test JVM runs under QEMU's user-mode emulator with `-cpu Haswell` (AVX2, no AVX-512,
# no VNNI), so ONNX Runtime's CPU dispatch picks the kernels an AVX2-only server runs, including
# the VPMADDUBSW u8 x s8 GEMM whose int16 pair sums saturate. Slow (TCG emulation): use it for
# the tests that run INT8 models, not the whole suite.
#
# Usage: tools/test-on-avx2.sh [-pl MODULE] -Dtest='SomeTest,Other#method*' [more maven args]
# Needs: x86_64 Linux, apt-get (installs qemu-user once), a JDK.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ "$(uname -m)" != "x86_64" ]]; then
  echo "test-on-avx2: emulating x86 AVX2 needs an x86_64 host" >&2
  exit 2
fi
if ! command -v qemu-x86_64 >/dev/null; then
  echo "[test-on-avx2] installing qemu-user..." >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get install -y -q qemu-user >/dev/null
fi
JAVA_BIN="$(readlink -f "$(command -v java)")"
WRAP="$HERE/target/avx2-jvm/bin"
mkdir -p "$WRAP"
# Surefire wants a path ending in bin/java.
cat > "$WRAP/java" <<SH
#!/usr/bin/env bash
exec qemu-x86_64 -cpu Haswell "$JAVA_BIN" "\$@" 2> >(grep -v "TCG doesn't support" >&2)
SH
chmod +x "$WRAP/java"
echo "[test-on-avx2] JVM under: qemu-x86_64 -cpu Haswell (AVX2, no AVX-512, no VNNI)" >&2
ARGS=("$@")
if [[ ! " ${ARGS[*]} " =~ " -pl " ]]; then
  ARGS=(-pl common "${ARGS[@]}")
fi
cd "$HERE"
exec mvn -B -ntp "${ARGS[@]}" -Dsurefire.failIfNoSpecifiedTests=false -Djvm="$WRAP/java" test
