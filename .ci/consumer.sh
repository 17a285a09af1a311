#!/usr/bin/env bash
# The package as a consumer meets it (issue 9): npm pack (prebuilt linux-x64 + linux-arm64 addons),
# then install the tarball into fresh CommonJS and ESM projects (npm 11 defaults: dependency
# install scripts not approved; packages from the npm cache, else the registry) and check:
#   tarball    LICENSE, both prebuilds, no source maps, no C++ tests, no install/prepare script
#   symbols    each prebuild needs at most GLIBC_2.28, no GLIBCXX/CXXABI (libstdc++ static), stripped;
#              the arm64 one loads in an arm64 node under qemu (.ci/arm.sh's) and agrees with x64
#   install    no install-script warning; node_modules at most 15 MB (webgpu not installed)
#   require    require() of kd-kernels, /native, /webgpu; native is the backend (the prebuild)
#   import     the same through import
#   typescript a strict consumer (skipLibCheck: false) compiles as CommonJS and as ESM, and runs
#   bundle     a CommonJS bundle for Node (import.meta.url empty): cpu with a load error naming
#              KD_NATIVE_ADDON; with KD_NATIVE_ADDON set, the prebuild is the backend
#   browser    esbuild bundles the main entry for the browser with no configuration; the bundle
#              runs kdLoss + backward on WebGPU in headless Chromium against float64
# Prints one PASS/FAIL line per check and "consumer: PASS" or "consumer: FAIL"; exits non-zero on failure.
#   bash .ci/consumer.sh            (needs what .ci/run installs: g++-aarch64-linux-gnu, chromium)
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
here=$repo/.ci/consumer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
check() { # check NAME COMMAND...: one PASS/FAIL line, the command's output indented on failure
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "  PASS $name${out:+: $(tail -1 <<<"$out")}"
  else
    echo "  FAIL $name"
    sed 's/^/       /' <<<"$out" | tail -30
    failed=$((failed + 1))
  fi
}
fail() { echo "$*"; return 1; }

echo "npm pack (prepack: TypeScript, then the prebuilt addons; fails if one is missing)"
tgz=$(npm pack --pack-destination "$work" 2>"$work/pack.log" | tail -1)
if [ -z "$tgz" ] || [ ! -f "$work/$tgz" ]; then tail -30 "$work/pack.log"; echo "consumer: FAIL"; exit 1; fi
tgz=$work/$tgz
tar tzf "$tgz" > "$work/files.txt"

tarball() {
  local missing=() f
  for f in package/LICENSE package/prebuilds/linux-x64/kd_kernels.node package/prebuilds/linux-arm64/kd_kernels.node; do
    grep -qx "$f" "$work/files.txt" || missing+=("$f")
  done
  [ ${#missing[@]} -eq 0 ] || fail "missing: ${missing[*]}"
  ! grep -E '\.map$|^package/native/tests/' "$work/files.txt" || fail "source maps or C++ tests packed (above)"
  tar xzf "$tgz" -O package/package.json | node -e '
    const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const s = Object.keys(p.scripts ?? {}).filter((k) => /^(pre|post)?(install|prepare)$/.test(k));
    if (s.length) { console.log(`install-time scripts: ${s}`); process.exit(1); }
    if (!p.repository) { console.log("no repository field"); process.exit(1); }'
  echo "$(wc -l < "$work/files.txt") files, $(du -k "$tgz" | cut -f1) KiB"
}
check "tarball contents" tarball

symbols() { # symbols ARCH OBJDUMP
  local f=$work/sym-$1.node
  tar xzf "$tgz" -O "package/prebuilds/linux-$1/kd_kernels.node" > "$f" || return 1
  command -v "$2" >/dev/null || fail "no $2 (apt-get install binutils-aarch64-linux-gnu)" || return 1
  local glibc cxx
  glibc=$("$2" -T "$f" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
  cxx=$("$2" -T "$f" | grep -oE '(GLIBCXX|CXXABI)_[0-9.]*' | sort -uV | tr '\n' ' ')
  [ "$(printf '%s\n' "$glibc" 2.28 | sort -V | tail -1)" = 2.28 ] || fail "linux-$1 needs GLIBC_$glibc (at most 2.28): $("$2" -T "$f" | grep -E 'GLIBC_2\.(29|[3-9])' | awk '{print $NF, $(NF-1)}' | tr '\n' ' ')" || return 1
  [ -z "$cxx" ] || fail "linux-$1 needs $cxx (libstdc++ should be static)" || return 1
  ! "$2" -h "$f" | grep -q '\.debug_info' && ! readelf -S "$f" | grep -q '\.symtab' || fail "linux-$1 is not stripped" || return 1
  echo "linux-$1: GLIBC_$glibc at most, no GLIBCXX, stripped, $(du -k "$f" | cut -f1) KiB"
}
check "linux-x64 prebuild symbol versions" symbols x64 objdump
check "linux-arm64 prebuild symbol versions" symbols arm64 aarch64-linux-gnu-objdump

arm64_loads() { # the arm64 prebuild in the arm64 node that .ci/arm.sh caches, under qemu; same loss as x64
  local node=${KD_ARM_CACHE:-$HOME/.cache/kd-kernels-arm}/package/bin/node x64 arm
  [ -x "$node" ] || fail "no arm64 node at $node (bash .ci/arm.sh fetches it)" || return 1
  x64=$(node "$here/addon-smoke.cjs" "$work/sym-x64.node") || return 1
  arm=$(qemu-aarch64 -L /usr/aarch64-linux-gnu "$node" "$here/addon-smoke.cjs" "$work/sym-arm64.node") || return 1
  node -e 'const [a, b] = process.argv.slice(1).map((s) => JSON.parse(s));
    if (!(Math.abs(a.loss - b.loss) <= 1e-5 * Math.abs(a.loss))) { console.log(`x64 ${a.loss}, arm64 ${b.loss}`); process.exit(1); }
    console.log(`arm64 (${b.node}, ${b.info.isa}) and x64 (${a.info.isa}) prebuilds give softmaxKL ${b.loss} / ${a.loss}`);' "$x64" "$arm"
}
check "linux-arm64 prebuild loads in an arm64 node (qemu)" arm64_loads

project() { # project DIR TYPE: a fresh npm project with the tarball installed
  mkdir -p "$1" && cd "$1" || return 1
  printf '{ "name": "consumer-%s", "version": "1.0.0", "private": true, "type": "%s" }\n' "$2" "$2" > package.json
  npm install --prefer-offline --no-audit --no-fund "$tgz" > install.log 2>&1 || { cat install.log; return 1; }
  ! grep -i 'install-scripts\|npm warn' install.log || fail "npm warned (above)" || return 1
  local bytes
  bytes=$(du -sb node_modules | cut -f1)
  [ "$bytes" -le 15000000 ] || fail "node_modules is $bytes bytes (at most 15 MB): $(du -sh node_modules/* node_modules/@*/* 2>/dev/null | sort -h | tail -4 | tr '\n' ' ')" || return 1
  [ ! -e node_modules/webgpu ] || fail "webgpu was installed (it is an optional peer dependency)" || return 1
  cp "$here"/kd-check.mjs "$here"/check.* "$here"/consumer.ts "$here"/browser-entry.mjs "$here"/node-bundle.cjs .
  echo "npm install kd-kernels: $(cd node_modules && ls -d [!@.]*/ @*/*/ 2>/dev/null | wc -l) packages, $((bytes / 1000)) kB in node_modules"
}
check "install into a fresh CommonJS project" project "$work/cjs" commonjs
check "install into a fresh ESM project" project "$work/esm" module

check "require() (CommonJS) on the native backend" sh -c "cd '$work/cjs' && node check.cjs"
check "import (ESM) on the native backend" sh -c "cd '$work/esm' && node check.mjs"

typescript() { # typescript DIR: compile consumer.ts strictly (module nodenext) and run it
  cd "$1" || return 1
  cat > tsconfig.json <<JSON
{ "compilerOptions": { "module": "nodenext", "target": "es2022", "strict": true, "skipLibCheck": false,
  "types": ["node"], "typeRoots": ["$repo/node_modules/@types"] }, "files": ["consumer.ts"] }
JSON
  node "$repo/node_modules/typescript/bin/tsc" -p . && node consumer.js
}
check "TypeScript consumer, CommonJS (skipLibCheck: false)" typescript "$work/cjs"
check "TypeScript consumer, ESM (skipLibCheck: false)" typescript "$work/esm"

node_bundle() {
  cd "$work/cjs" || return 1
  # esbuild warns that import.meta is empty in CommonJS output: that is the case under test.
  "$repo/node_modules/.bin/esbuild" node-bundle.cjs --bundle --platform=node --format=cjs --outfile=bundle.cjs \
    --log-level=error || return 1
  node bundle.cjs || return 1
  KD_NATIVE_ADDON="$work/cjs/node_modules/kd-kernels/prebuilds/linux-$(node -p process.arch)/kd_kernels.node" node bundle.cjs
}
check "bundle: CommonJS esbuild bundle for Node, with and without KD_NATIVE_ADDON" node_bundle

browser() {
  cd "$work/esm" || return 1
  "$repo/node_modules/.bin/esbuild" browser-entry.mjs --bundle --platform=browser --format=esm --outfile=bundle.js --log-level=warning 2>&1 |
    tee esbuild.log
  [ -s bundle.js ] && [ ! -s esbuild.log ] || fail "esbuild failed or warned (above)" || return 1
  ! grep -nE '(from|import\() *"node:' bundle.js || fail "node:* imports in the browser bundle (above)" || return 1
  (cd "$repo" && node .ci/consumer/browser.mjs "$work/esm/bundle.js")
}
check "browser: esbuild bundle of the main entry, run in Chromium" browser

if [ "$failed" -eq 0 ]; then echo "consumer: PASS"; else echo "consumer: FAIL ($failed checks)"; exit 1; fi
