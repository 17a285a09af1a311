#!/usr/bin/env python3
"""PyTorch CUDA peer of bench/gpu.sh: the same cases as bench/gpu_webgpu.js, eager and
torch.compile, on the same GPU, timed with CUDA events.

Reads a JSON spec on stdin: {"cases": [{"group", "suite", "size", "dims"}], "temperature",
"alpha", "mlp": {...}, "cnn": {...}, "quick": bool} (the models and formulas are torch_peer.py's
make_case, with its inputs moved to the GPU). Prints one JSON object:
{"info": {torch, cuda, device, driver}, "copy_gbs": float, "results": [{suite, size, variant,
median_ms}]}, or {"skipped": reason} when CUDA is not available.
"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch_peer  # noqa: E402


def cuda_time(step, quick):
    """Median ms per call over samples of k back-to-back calls (CUDA events), after warm-up."""
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    step()
    end.record()
    end.synchronize()
    k = max(1, int(2.0 / max(start.elapsed_time(end), 1e-3)))  # a sample lasts >= ~2 ms
    samples = []
    for _ in range(3 if quick else 15):
        start.record()
        for _ in range(k):
            step()
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end) / k)
    return statistics.median(samples)


def copy_gbs(quick):
    """Device-to-device copy bandwidth, bytes read + written per second (GB/s)."""
    n = (16 if quick else 256) * 1024 * 1024
    a = torch.ones(n, device="cuda")
    b = torch.empty_like(a)
    ms = cuda_time(lambda: b.copy_(a), quick)
    return 2 * n * 4 / (ms * 1e-3) / 1e9


def main():
    spec = json.load(sys.stdin)
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "torch.cuda.is_available() is False"}))
        return
    gen, labels = torch_peer.gen, torch_peer.labels_for

    def on_gpu(make):  # inputs from torch_peer's CPU generators, then moved to the GPU
        def wrapped(*a, **k):
            with torch.device("cpu"):
                return make(*a, **k).cuda()
        return wrapped
    torch_peer.gen, torch_peer.labels_for = on_gpu(gen), on_gpu(labels)
    torch.set_default_device("cuda")  # models and optimiser state
    props = torch.cuda.get_device_properties(0)
    out = {
        "info": {"torch": torch.__version__, "cuda": torch.version.cuda, "device": props.name,
                 "multiprocessors": props.multi_processor_count},
        "copy_gbs": copy_gbs(spec["quick"]),
        "results": [],
    }
    for c in spec["cases"]:
        if c["suite"] not in ("kd", "ce", "hinton", "mlp", "cnn"):
            continue
        for variant in ("eager", "compile"):
            try:
                step = torch_peer.make_case(c, spec)
                if variant == "compile":
                    step = torch.compile(step)
                ms = cuda_time(step, spec["quick"])
                out["results"].append({"suite": c["suite"], "size": c["size"], "variant": variant, "median_ms": ms})
            except Exception as e:  # a case that fails (out of memory, compile error) is reported, not fatal
                out["results"].append({"suite": c["suite"], "size": c["size"], "variant": variant,
                                       "error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"})
            torch.cuda.empty_cache()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
