#!/usr/bin/python3
"""PyTorch CPU peer for the kd-kernels benchmarks (run with Debian's /usr/bin/python3 + python3-torch).

Reads a JSON spec on stdin (bench/run.js writes it from bench/cases.js):
  {"cases": [{"suite": "kd", "size": "4096x1000", "dims": [4096, 1000]}, ...],
   "threads": 1, "quick": false, "temperature": 4, "alpha": 0.9, "mlp": {...}, "cnn": {...}}
and prints one JSON object on stdout: {"info": {...}, "results": [{suite, size, threads, median_ms, ...}]}.

Each case is timed with time.perf_counter after warm-up; a sample is the mean of k back-to-back
iterations (k chosen so that a sample lasts >= ~2 ms), and the reported figure is the median
of the samples, as bench/suites.js reports for our side.

The same computations as bench/suites.js, written the way a PyTorch user would:
  kd:     F.kl_div(log_softmax(s/T), log_softmax(t/T), log_target=True, reduction='batchmean') * T^2
  ce:     F.cross_entropy(s, labels)
  hinton: alpha * kd + (1 - alpha) * ce
  sp:     ||normalize(fs fs^T) - normalize(ft ft^T)||_F^2 / b^2  (Tung & Mori 2019; rows L2-normalised)
  mlp:    784-64-10 MLP, hinton loss against fixed teacher logits, SGD(momentum 0.9) step
  cnn:    conv3x3(32)-ReLU-maxpool2-conv3x3(64)-ReLU-maxpool2-fc128-ReLU-fc10, cross-entropy, Adam step
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def loaded_libs(words=("blas", "lapack", "dnnl", "mkl", "gomp", "omp")):
    """Shared libraries of interest mapped into this process (which BLAS torch really uses)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and parts[5].startswith("/"):
                    base = os.path.basename(parts[5]).lower()
                    if any(w in base for w in words):
                        libs.add(os.path.realpath(parts[5]))
    except OSError:
        pass
    return sorted(libs)


def time_fn(step, quick):
    """Median ms per call of step() over samples of k calls each, after warm-up."""
    min_samples, min_time = (3, 0.3) if quick else (15, 3.0)
    for _ in range(2):
        step()
    # calibrate k: one sample should last >= ~2 ms
    t0 = time.perf_counter()
    step()
    one = time.perf_counter() - t0
    k = max(1, int(0.002 / max(one, 1e-7)))
    samples = []
    start = time.perf_counter()
    while len(samples) < min_samples or (time.perf_counter() - start) < min_time:
        t0 = time.perf_counter()
        for _ in range(k):
            step()
        samples.append((time.perf_counter() - t0) / k * 1e3)
        if len(samples) >= 500:
            break
    return {
        "median_ms": statistics.median(samples),
        "mean_ms": statistics.fmean(samples),
        "min_ms": min(samples),
        "samples": len(samples),
        "iters_per_sample": k,
    }


def gen(shape, seed, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g) - 0.5) * 2 * scale


def labels_for(n, classes, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, classes, (n,), generator=g)


def make_case(c, spec):
    T = float(spec["temperature"])
    alpha = float(spec["alpha"])
    suite, dims = c["suite"], c["dims"]

    def kd_term(s, t):
        return F.kl_div(F.log_softmax(s / T, dim=1), F.log_softmax(t / T, dim=1),
                        log_target=True, reduction="batchmean") * (T * T)

    if suite in ("kd", "ce", "hinton"):
        B, C = dims
        s = gen((B, C), 1).requires_grad_(True)
        t = gen((B, C), 2)
        y = labels_for(B, C, 3)
        if suite == "kd":
            loss_fn = lambda: kd_term(s, t)
        elif suite == "ce":
            loss_fn = lambda: F.cross_entropy(s, y)
        else:
            loss_fn = lambda: alpha * kd_term(s, t) + (1 - alpha) * F.cross_entropy(s, y)

        def step():
            loss = loss_fn()
            loss.backward()
            s.grad = None
        return step

    if suite == "sp":
        b, ds, dt = dims
        fs = gen((b, ds), 1, 1.0).requires_grad_(True)
        ft = gen((b, dt), 2, 1.0)

        def step():
            gs = F.normalize(fs @ fs.t(), p=2, dim=1)
            gt = F.normalize(ft @ ft.t(), p=2, dim=1)
            loss = (gs - gt).pow(2).sum() / (b * b)
            loss.backward()
            fs.grad = None
        return step

    if suite == "mlp":
        m = spec["mlp"]
        d0, d1, d2 = m["layers"]
        B = m["batch"]
        model = nn.Sequential(nn.Linear(d0, d1), nn.ReLU(), nn.Linear(d1, d2))
        opt = torch.optim.SGD(model.parameters(), lr=m["lr"], momentum=m["momentum"])
        x = gen((B, d0), 1, 1.0)
        t = gen((B, d2), 2)
        y = labels_for(B, d2, 3)

        def step():
            opt.zero_grad(set_to_none=True)
            out = model(x)
            loss = alpha * kd_term(out, t) + (1 - alpha) * F.cross_entropy(out, y)
            loss.backward()
            opt.step()
        return step

    if suite == "cnn":
        m = spec["cnn"]
        B, ci, H, W = m["batch"], m["inChannels"], m["height"], m["width"]
        c1, c2 = m["conv"]
        k, p = m["kernel"], m["padding"]
        flat = c2 * (H // 4) * (W // 4)
        model = nn.Sequential(
            nn.Conv2d(ci, c1, k, padding=p), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, k, padding=p), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(flat, m["fc"]), nn.ReLU(), nn.Linear(m["fc"], m["classes"]),
        )
        opt = torch.optim.Adam(model.parameters(), lr=m["lr"])
        x = gen((B, ci, H, W), 1, 1.0)
        y = labels_for(B, m["classes"], 3)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        return step

    raise ValueError(f"unknown suite {suite}")


def main():
    spec = json.load(sys.stdin)
    threads = int(spec["threads"])
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(0)
    results = []
    for c in spec["cases"]:
        base = {"suite": c["suite"], "size": c["size"], "threads": threads}
        try:
            step = make_case(c, spec)
            r = time_fn(step, spec.get("quick", False))
            results.append({**base, **r})
            print(f"[torch t{threads}{' ' + spec['variant'] if spec.get('variant') else ''}] "
                  f"{c['suite']} {c['size']}: {r['median_ms']:.4f} ms", file=sys.stderr)
        except Exception as e:  # report, keep going
            results.append({**base, "error": f"{type(e).__name__}: {e}"})
        finally:
            step = None
    info = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas_libs_loaded": loaded_libs(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "capability": torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") and hasattr(torch.backends.cpu, "get_cpu_capability") else None,
        "ld_library_path": os.environ.get("LD_LIBRARY_PATH"),
        "variant": spec.get("variant"),
    }
    json.dump({"info": info, "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
