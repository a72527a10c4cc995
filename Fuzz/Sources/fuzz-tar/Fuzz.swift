import AssayEnvironment
import FuzzSupport

/// The input is a `docker save` archive.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? DockerArchive.verify(path: scratchFile("image.tar", bytes(data, size)))
    return 0
}

@_cdecl("fuzz_tar_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, testOneInput) }
