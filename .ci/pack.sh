#!/usr/bin/env bash
# The package as a user meets it: npm pack (with the prebuilt linux-x64/arm64 addons), install the
# tarball into a fresh folder (install scripts not approved, as npm 11 does by default), and use the
# native backend from there. Prints "pack: PASS" or "pack: FAIL"; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tgz=$(npm pack --pack-destination "$work" 2>/dev/null | tail -1)
if [ ! -f "$work/$tgz" ]; then echo "npm pack failed"; echo "pack: FAIL"; exit 1; fi
echo "tarball: $tgz ($(du -h "$work/$tgz" | cut -f1)); prebuilds: $(tar tzf "$work/$tgz" | grep -c 'prebuilds/.*\.node$')"
mkdir -p "$work/app" && cd "$work/app"
npm init -y >/dev/null
if ! npm install --no-audit --no-fund "$work/$tgz" >install.log 2>&1; then tail -20 install.log; echo "pack: FAIL"; exit 1; fi
cat > check.mjs <<'JS'
import { getBackend, tensor, losses } from 'kd-kernels';
import { native } from 'kd-kernels/native';
const b = getBackend();
if (b.name !== 'native') throw new Error(`expected the native backend from the prebuilt addon, got ${b.name}`);
const s = tensor([1, 2, 3, 3, 2, 1], [2, 3], { requiresGrad: true });
const loss = losses.kdLoss(s, tensor([3, 2, 1, 1, 2, 3], [2, 3]), { temperature: 2 });
loss.backward();
const v = loss.dataSync()[0];
if (!(v > 0 && Number.isFinite(v))) throw new Error(`bad loss ${v}`);
console.log(`native ${JSON.stringify(native.info())}, kdLoss ${v.toFixed(6)}, grad ${Array.from(s.grad.dataSync(), (x) => x.toFixed(4))}`);
JS
if node check.mjs && ls node_modules/kd-kernels/prebuilds/linux-arm64/kd_kernels.node >/dev/null; then
  echo "pack: PASS"
else
  echo "pack: FAIL"; exit 1
fi
