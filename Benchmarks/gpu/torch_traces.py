"""Writes real PyTorch (Kineto) GPU traces for Assay's trace tests and benchmarks.

Two runs of the same small MLP inference service, each profiled for 6 steps (ProfilerStep#N):
  baseline.pt.trace.json.gz   the model as written
  item.pt.trace.json.gz       the same, with a planted regression: a .item() per layer (a device-to-host copy
                              that waits for the GPU), as HTA's TraceDiff examples show
Each step has record_function stages preprocess / inference / postprocess.
While it runs, GPU memory is grown in 256 MiB steps (held, as a leak would) so that NVML recordings taken
alongside show a known growth. Usage: python3 torch_traces.py OUTDIR
"""
import json
import os
import sys
import time

import torch
from torch.profiler import ProfilerActivity, profile, record_function, schedule

out = sys.argv[1]
device = torch.device("cuda")
torch.manual_seed(0)
model = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Linear(2048, 2048), torch.nn.GELU()) for _ in range(8)]).to(device).eval()
batch = torch.randn(64, 2048)
leak = []


def step(regress: bool):
    with record_function("preprocess"):
        x = ((batch - batch.mean()) / batch.std()).to(device, non_blocking=False)
    with record_function("inference"), torch.no_grad():
        for layer in model:
            x = layer(x)
            if regress:
                _ = x[0, 0].item()
    with record_function("postprocess"):
        y = torch.softmax(x, dim=-1).argmax(dim=-1).cpu()
    return y


summary = {"torch": torch.__version__, "cuda": torch.version.cuda, "gpu": torch.cuda.get_device_name(0)}
for name, regress in [("baseline", False), ("item", True)]:
    for _ in range(5):
        step(regress)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], schedule=schedule(wait=1, warmup=1, active=6),
                 record_shapes=True) as prof:
        for _ in range(8):
            step(regress)
            prof.step()
    path = os.path.join(out, f"{name}.pt.trace.json.gz")
    prof.export_chrome_trace(path)
    times = []
    for _ in range(50):
        torch.cuda.synchronize()
        t = time.perf_counter()
        step(regress)
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    summary[name] = {"trace": path, "bytes": os.path.getsize(path), "step_ms_median": times[len(times) // 2]}

# A held allocation growing 256 MiB every 0.5 s for 20 s (10 GiB), then released: NVML must see it.
start = torch.cuda.memory_allocated()
for i in range(40):
    leak.append(torch.empty(256 << 20, dtype=torch.uint8, device=device))
    time.sleep(0.5)
summary["leak_bytes_held"] = torch.cuda.memory_allocated() - start
leak.clear()
torch.cuda.empty_cache()
json.dump(summary, open(os.path.join(out, "torch_summary.json"), "w"), indent=1)
print(json.dumps(summary, indent=1))
