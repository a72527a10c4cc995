import AssayIntegrations
import AssayTelemetry
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    _ = NvidiaSMI.parse(csv: String(decoding: input, as: UTF8.self))
    _ = NvidiaSMI.parse(xml: Data(input))
    _ = XIDCounter.count(String(decoding: input, as: UTF8.self))
    return 0
}

@_cdecl("fuzz_nvidia_smi_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, testOneInput) }
