#!/usr/bin/env bash
# Builds gpu-probe: Assay's NVML binding (Sources/AssayTelemetry/NVML.swift and the GPUReading it fills, the same
# source files the agent and `telemetry record` use) with a small driver, compiled against FoundationEssentials
# only and the static Swift runtime, so the binary runs on a GPU machine that has no Swift and no ICU.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.gpuprobe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for f in NVML.swift NvidiaSMI.swift; do
    sed 's/^import Foundation$/import FoundationEssentials/' "Sources/AssayTelemetry/$f" > "$work/$f"
done
# Only the GPUReading model from NvidiaSMI.swift: the nvidia-smi parsers need full Foundation.
python3 - "$work/NvidiaSMI.swift" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
start = s.index("/// One GPU's reading from nvidia-smi.")
end = s.index("/// Parses `nvidia-smi --query-gpu")
open(p, "w").write("import FoundationEssentials\n\n" + s[start:end])
PY
cp Benchmarks/gpu/probe-main.swift "$work/main.swift"
mkdir -p "$out"
swiftc -O -static-stdlib -parse-as-library -o "$out/gpu-probe" "$work"/*.swift
strip "$out/gpu-probe"
ls -la "$out/gpu-probe"
