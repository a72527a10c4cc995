import AssayServer
import FuzzSupport

/// A body for `POST /api/v1/runs`: scanned, decoded, and every field checked, as the server does before storing it.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? AssayServer.checkPushedRun(bytes(data, size))
    return 0
}

@_cdecl("fuzz_ingest_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, testOneInput) }
