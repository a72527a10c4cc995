import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Reads every GPU through Assay's NVML binding (dlopen of libnvidia-ml.so.1), as the agent and `telemetry record`
/// do, and prints one JSON line per reading, for checking the binding on a real GPU against nvidia-smi run
/// alongside. Usage: gpu-probe SAMPLES INTERVAL_MS
@main
struct GPUProbe {
    static func main() throws {
        let arguments = CommandLine.arguments
        let samples = arguments.count > 1 ? Int(arguments[1]) ?? 10 : 10
        let interval = arguments.count > 2 ? Int(arguments[2]) ?? 500 : 500
        let clock = ContinuousClock()
        let opened = clock.now
        guard let nvml = NVML() else {
            fputs("gpu-probe: NVML could not be opened (libnvidia-ml.so.1 or a GPU driver is missing)\n", stderr)
            exit(69)
        }
        fputs("gpu-probe: NVML opened in \(milliseconds(clock.now - opened)) ms\n", stderr)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for index in 0..<samples {
            let start = clock.now
            let readings = nvml.readings()
            let read = milliseconds(clock.now - start)
            let line = String(decoding: try encoder.encode(readings), as: UTF8.self)
            print("{\"unix\":\(Date().timeIntervalSince1970),\"sample\":\(index),\"read_ms\":\(read),\"gpus\":\(line)}")
            fflush(stdout)
            if index + 1 < samples { usleep(useconds_t(interval * 1000)) }
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
