import AssayLatency
import FuzzSupport

/// The first byte picks the log format (by extension); the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let selector = input.first else { return 0 }
    let name = ["latency.jsonl", "latency.csv", "profiling_report.json", "runtime_perf.log"][Int(selector) % 4]
    _ = try? LatencyLog.read(path: scratchFile(name, Array(input.dropFirst())), stages: ["preprocess", "inference", "postprocess"])
    return 0
}

@_cdecl("fuzz_latency_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, testOneInput) }
