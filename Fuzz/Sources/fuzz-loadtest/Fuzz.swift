import AssayServing
import Foundation
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    _ = try? LoadTestImport.read(String(decoding: input, as: UTF8.self), path: "fuzz")
    _ = try? TritonStatistics.window(before: nil, after: Data(input), model: nil, seconds: 1)
    return 0
}

@_cdecl("fuzz_loadtest_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, testOneInput) }
