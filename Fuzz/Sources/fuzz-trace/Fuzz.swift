import AssayProfiling
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if let trace = try? ChromeTraceParser.parse(bytes: bytes(data, size), path: "fuzz.json") {
        let lanes = TraceLane.lanes(of: trace)
        _ = TraceAttribution.analyze(lanes: lanes, stages: ["preprocess", "inference", "postprocess"])
        _ = FoldedStacks(lanes: lanes).text
    }
    return 0
}

@_cdecl("fuzz_trace_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, testOneInput) }
