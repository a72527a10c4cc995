import Foundation

/// Scratch directories and fixtures, one way for every test target.
public enum TestFiles {
    /// The test process's scratch root under the system's temporary directory, removed when the process exits
    /// (tests make thousands of directories; a run must not leave them behind).
    static let root: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("assay-tests-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestFiles.root) }
        return path
    }()

    /// A new, empty directory under the process's scratch root, named `prefix-UUID`.
    public static func temporaryDirectory(_ prefix: String) throws -> String {
        let path = root + "/\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A fresh path for a file in a new temporary directory; the file itself is not created.
    public static func temporaryFile(_ name: String) throws -> String {
        try temporaryDirectory("assay") + "/" + name
    }

    /// The path of `name` in the `Fixtures` folder a test target copies into its bundle.
    public static func fixture(_ name: String, in bundle: Bundle) throws -> String {
        guard let url = bundle.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/" + name])
        }
        return url.path
    }

    /// The package's root directory (for fixtures another target owns).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}
