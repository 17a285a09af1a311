#!/usr/bin/env bash
# One command for a lent GPU machine (set up as in shared/GPU.md: node, the built package and the
# `webgpu` package brought along, Vulkan loader installed, PyTorch + CUDA present):
#
#   bench/gpu.sh [--quick] [--dry-run] [--no-torch] [--out DIR]
#
# Runs, on the same GPU and in this one run: the device-to-device copy bandwidth (WebGPU
# copyBufferToBuffer, and PyTorch copy_), our raw kernels (kd-kernels/webgpu on device buffers) and
# the Tensor API (kdLoss / crossEntropy / hintonLoss + backward) at the GPU loss sizes
# (bench/cases.js GPU_LOSS_SIZES), the MLP and CNN training steps, and PyTorch eager and
# torch.compile on the same cases (bench/peers/torch_gpu.py, CUDA events). Writes
# bench/results/gpu-<device>/ (DIR with --out): machine.txt, probe.json, ours.txt, torch.json,
# results.json, results.md (format: bench/README.md, "GPU run").
#
# --quick: small sizes and few samples. --dry-run: --quick, and results go to a temporary folder
# unless --out is given (for checking the script on a software adapter such as lavapipe, where the
# timings are CPU figures). PYTHON picks the interpreter with PyTorch (default python3). Each step has its own time limit (KD_GPU_STEP_TIMEOUT seconds, default
# 900); a step that fails or times out is recorded and the run goes on.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
quick= out= dry= torch=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --dry-run) dry=1; quick=1 ;;
    --no-torch) torch= ;;
    --out) out=$2; shift ;;
    *) echo "usage: bench/gpu.sh [--quick] [--dry-run] [--no-torch] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
limit=${KD_GPU_STEP_TIMEOUT:-900}
if [ -n "$quick" ]; then copy_mib=64 quick_js=true quick_flag=--quick; else copy_mib=1024 quick_js=false quick_flag=; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { # name, command...: run with a time limit, keep going on failure
  local name=$1; shift
  echo "== $name" >&2
  timeout "$limit" "$@" || echo "== $name: failed or timed out (exit $?)" | tee -a "$work/failures.txt" >&2
}

# 1. The adapter and the copy bandwidth (64 MiB on a quick run, 1 GiB otherwise).
step probe sh -c "node '$here/gpu_info.js' probe --copy-mib $copy_mib > '$work/probe.json'"
device=$(node -e "try{const p=JSON.parse(require('fs').readFileSync('$work/probe.json','utf8'));process.stdout.write((p.adapter.device||p.adapter.vendor||'unknown').replace(/[^A-Za-z0-9._-]+/g,'-'))}catch{process.stdout.write('unknown')}")
if [ -z "$out" ]; then
  if [ -n "$dry" ]; then out=$(mktemp -d); else out="$here/results/gpu-$device"; fi
fi
mkdir -p "$out"

# 2. The machine and the driver.
{
  echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm)"; echo "node: $(node --version)"
  lscpu 2>/dev/null | grep -E '^(Model name|CPU\(s\)):' || true
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv 2>/dev/null || echo "nvidia-smi: not available"
  echo "adapter: $(node -e "const p=JSON.parse(require('fs').readFileSync('$work/probe.json','utf8'));console.log(JSON.stringify(p.adapter), 'subgroups:', p.subgroups)" 2>/dev/null)"
} > "$out/machine.txt"
cp "$work/probe.json" "$out/probe.json" 2>/dev/null

# 3. Ours: raw kernels, Tensor API, training steps.
step ours sh -c "node '$here/suites.js' --backend webgpu --gpu --suites kd,ce,hinton,mlp,cnn $quick_flag > '$out/ours.txt'"

# 4. PyTorch eager and torch.compile on the same cases, same GPU.
if [ -n "$torch" ]; then
  node --input-type=module -e "
    import { caseList, TEMPERATURE, ALPHA, MLP, CNN } from '$here/cases.js';
    const quick = $quick_js;
    console.log(JSON.stringify({ quick, temperature: TEMPERATURE, alpha: ALPHA, mlp: MLP, cnn: CNN,
      cases: caseList(['kd', 'ce', 'hinton', 'mlp', 'cnn'], quick, null, true) }));" > "$work/spec.json"
  step torch sh -c "'${PYTHON:-python3}' '$here/peers/torch_gpu.py' < '$work/spec.json' > '$out/torch.json'" ||
    true
  [ -s "$out/torch.json" ] || echo '{"skipped": "bench/peers/torch_gpu.py failed (failures.txt)"}' > "$out/torch.json"
else
  echo '{"skipped": "--no-torch"}' > "$out/torch.json"
fi

# 5. The tables.
[ -f "$work/failures.txt" ] && cp "$work/failures.txt" "$out/failures.txt"
node "$here/gpu_info.js" report "$out"
echo "wrote $out" >&2
