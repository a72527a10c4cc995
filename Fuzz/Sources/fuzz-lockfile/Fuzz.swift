import AssayEnvironment
import FuzzSupport

/// The first byte picks the format; the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let selector = input.first else { return 0 }
    let format = LockfileFormat.allCases[Int(selector) % LockfileFormat.allCases.count]
    _ = try? LockfileParser.parse(path: scratchFile(format.rawValue, Array(input.dropFirst())), format: format)
    return 0
}

@_cdecl("fuzz_lockfile_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, testOneInput) }
