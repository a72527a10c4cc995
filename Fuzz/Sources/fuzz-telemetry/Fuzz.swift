import AssayTelemetry
import Foundation
import FuzzSupport

/// Telemetry logs (JSON lines) and documents (`telemetry.json`), and uptime logs.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    _ = try? TelemetryLog.read(path: scratchFile("telemetry.jsonl", input))
    _ = try? TelemetryLog.read(path: scratchFile("telemetry.json", input))
    return 0
}

@_cdecl("fuzz_telemetry_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, testOneInput) }
