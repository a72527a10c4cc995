import AssayCore
import AssayServing
import AssayTelemetry
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: bytes(data, size), as: UTF8.self)
    _ = NodeExporterScrape.hostSample(text, monotonicSeconds: 0, wallTime: Date())
    if let scrape = try? PrometheusExposition(text) {
        for kind in InferenceServerKind.allCases {
            _ = InferenceServerMetrics.window(kind: kind, model: nil, before: nil, after: scrape, seconds: 60)
            _ = InferenceServerMetrics.window(kind: kind, model: nil, before: scrape, after: scrape, seconds: 60)
        }
    }
    _ = try? PrometheusSeries.parse(Data(bytes(data, size)), source: "fuzz")
    return 0
}

@_cdecl("fuzz_prometheus_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, testOneInput) }
