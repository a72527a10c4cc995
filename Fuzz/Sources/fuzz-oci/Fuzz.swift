import AssayEnvironment
import Foundation
import FuzzSupport

/// The input is an OCI layout's index.json (the manifests and blobs it names are absent or whatever it says).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let index = scratchFile("layout/index.json", [])
    let layout = (index as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: layout + "/oci-layout", contents: Data(#"{"imageLayoutVersion": "1.0.0"}"#.utf8))
    FileManager.default.createFile(atPath: index, contents: Data(bytes(data, size)))
    _ = try? OCILayout.verify(path: layout)
    return 0
}

@_cdecl("fuzz_oci_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, testOneInput) }
