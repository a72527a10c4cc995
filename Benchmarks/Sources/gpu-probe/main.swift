import AssayCore
import AssayTelemetry
import Foundation

// Reads every GPU through Assay's NVML binding (dlopen of libnvidia-ml.so.1), as the agent and
// `telemetry record` do, and prints one JSON line per reading: for checking the binding on a real GPU against
// nvidia-smi run alongside. Usage: gpu-probe SAMPLES INTERVAL_MS
let arguments = CommandLine.arguments
let samples = arguments.count > 1 ? Int(arguments[1]) ?? 10 : 10
let interval = arguments.count > 2 ? Int(arguments[2]) ?? 500 : 500
let opened = ContinuousClock.now
guard let nvml = NVML() else {
    FileHandle.standardError.write(Data("gpu-probe: NVML could not be opened (libnvidia-ml.so.1 or a GPU driver is missing)\n".utf8))
    exit(69)
}
let openSeconds = Double((ContinuousClock.now - opened).components.attoseconds) / 1e18
    + Double((ContinuousClock.now - opened).components.seconds)
FileHandle.standardError.write(Data(String(format: "gpu-probe: NVML opened in %.1f ms\n", openSeconds * 1000).utf8))
let encoder = JSONCoding.encoder()
for index in 0..<samples {
    let start = ContinuousClock.now
    let readings = nvml.readings()
    let elapsed = ContinuousClock.now - start
    let micros = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
    let line = String(decoding: try encoder.encode(readings), as: UTF8.self)
    print("{\"time\":\"\(Date().formatted(.iso8601))\",\"sample\":\(index),\"read_us\":\(Int(micros)),\"gpus\":\(line)}")
    fflush(stdout)
    if index + 1 < samples { usleep(useconds_t(interval * 1000)) }
}
