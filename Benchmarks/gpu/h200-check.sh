#!/usr/bin/env bash
# One prepared run on a GPU machine: Assay's NVML binding (gpu-probe, static Swift runtime) sampling every 250 ms
# while PyTorch writes two profiled GPU traces and grows GPU memory by a known amount, with nvidia-smi sampling
# alongside as the reference. Writes everything to $OUT (or ./gpu-out).
set -u
out=${OUT:-gpu-out}
mkdir -p "$out"
probe=${PROBE:-.gpuprobe/gpu-probe}
nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw,clocks.sm,clocks_event_reasons.active --format=csv > "$out/nvidia-smi-idle.csv" 2>&1
nvidia-smi -q -x > "$out/nvidia-smi-q.xml" 2>&1
"$probe" 320 250 > "$out/nvml.jsonl" 2> "$out/run.log" &
probe_pid=$!
nvidia-smi --query-gpu=timestamp,memory.used,memory.total,utilization.gpu,power.draw,clocks.sm,temperature.gpu --format=csv,nounits -lms 250 > "$out/nvidia-smi.csv" 2>&1 &
smi_pid=$!
PYTHONUNBUFFERED=1 python3 Benchmarks/gpu/torch_traces.py "$out" >> "$out/run.log" 2>&1
echo "torch exit $?" >> "$out/run.log"
wait "$probe_pid"; echo "probe exit $?" >> "$out/run.log"
kill "$smi_pid" 2>/dev/null
cat "$out/run.log"; head -c 800 "$out/nvml.jsonl"; echo; wc -l "$out/nvml.jsonl" "$out/nvidia-smi.csv"; ls -la "$out"
