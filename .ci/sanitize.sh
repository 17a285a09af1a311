#!/usr/bin/env bash
# Sanitizer job (issue 8): builds the native addon with AddressSanitizer + UndefinedBehaviorSanitizer
# into build-asan/, then runs, against that addon, the native specs (every describeEachBackend spec
# on the native backend, the raw-API and memory-safety specs) and a time-boxed random fuzz of every
# native entry point (test/spec/native-fuzz.spec.ts, KD_FUZZ_SECONDS, default 180, at most 600).
# Any ASan / UBSan report aborts the process and fails the job. Exit status 0 when all passed.
#
#   bash .ci/sanitize.sh                        needs cmake, g++ (libasan, libubsan), npm ci done
#
# cmake-js sets CMAKE_CXX_FLAGS itself, so cmake is called directly, with CMAKE_JS_VERSION and
# CMAKE_JS_INC standing in for what cmake-js passes (the Node-API headers of node-api-headers).
# node is not built with ASan: libasan is preloaded (LD_PRELOAD) so that it comes first, and leak
# detection is off (node does not free everything at exit, by design). The loader takes this addon
# from KD_NATIVE_ADDON (src/backends/native/addon.ts).
set -uo pipefail
cd "$(dirname "$0")/.."
log() { echo "== sanitize: $*"; }

out=build-asan
cxx=${CXX:-g++}
fuzz_seconds=${KD_FUZZ_SECONDS:-180}
export KD_FUZZ_SEED=${KD_FUZZ_SEED:-$((RANDOM * 32768 + RANDOM))} # a new seed each run; a failure prints it
if [ "$fuzz_seconds" -gt 600 ]; then fuzz_seconds=600; fi

log "build the addon with -fsanitize=address,undefined ($out/)"
# The Node-API headers: node-api-headers (a cmake-js dependency), else those installed with node.
inc=$(node -p "require('node-api-headers').include_dir" 2>/dev/null) || inc=$(dirname "$(command -v node)")/../include/node
if [ ! -f "$inc/node_api.h" ]; then echo "sanitize: no node_api.h (run npm ci first)"; exit 1; fi
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
gen=()
if command -v ninja >/dev/null; then gen=(-G Ninja); fi
cmake -S . -B "$out" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_JS_VERSION=sanitize -DCMAKE_JS_INC="$inc" \
  -DCMAKE_CXX_FLAGS="-DBUILDING_NODE_EXTENSION $san" -DCMAKE_SHARED_LINKER_FLAGS="$san" >/dev/null &&
  cmake --build "$out" -j"${CMAKE_BUILD_PARALLEL_LEVEL:-2}" --target kd_kernels >/dev/null || { echo "sanitize: the ASan build failed"; exit 1; }
addon=$(find "$PWD/$out" -name kd_kernels.node | head -1)
libasan=$("$cxx" -print-file-name=libasan.so)
if [ ! -f "$addon" ] || [ ! -e "$libasan" ]; then echo "sanitize: no addon ($addon) or no libasan ($libasan)"; exit 1; fi

export LD_PRELOAD=$libasan
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:print_summary=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export KD_NATIVE_ADDON=$addon KD_REQUIRE_NATIVE=1 KD_TEST_BACKENDS=native
# The loader must have taken the ASan addon (not a prebuilt or build/Release one).
node -e '
const a = require(process.env.KD_NATIVE_ADDON);
if (typeof a.softmaxKL !== "function") throw new Error("not the addon");
console.log(`== sanitize: ${process.env.KD_NATIVE_ADDON} loads under ASan, isa ${a.info().isa}`);
' || { echo "sanitize: the ASan addon does not load"; exit 1; }

status=0
log "native specs on the ASan addon"
# Every spec but those that never reach the addon (cpu kernels, webgpu, browser, CLI processes, types).
env -u KD_FUZZ_SECONDS npx vitest run --reporter=dot \
  --exclude 'test/spec/cpu-*.spec.ts' --exclude 'test/spec/webgpu-*.spec.ts' --exclude 'test/spec/cli*.spec.ts' \
  --exclude 'test/spec/types.spec.ts' --exclude 'test/spec/data.spec.ts' --exclude 'test/spec/hostile-files.spec.ts' \
  || status=1

log "fuzz of every native entry point for ${fuzz_seconds} s (KD_FUZZ_SEED=$KD_FUZZ_SEED)"
KD_FUZZ_SECONDS=$fuzz_seconds npx vitest run test/spec/native-fuzz.spec.ts -t 'random fuzz' || status=1

if [ $status -eq 0 ]; then log "PASS"; else log "FAIL"; fi
exit $status
