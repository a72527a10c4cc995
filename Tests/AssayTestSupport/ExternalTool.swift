import Foundation

/// Real tools the tests drive (umoci, skopeo, docker-registry, python3): found on PATH, run to completion.
public enum ExternalTool {
    /// The executable's path on PATH, if installed.
    public static func which(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether every tool is installed, or CI demands them (ASSAY_REQUIRE_SERVICES=1 makes a missing tool fail the
    /// test instead of skipping it).
    public static func available(_ names: [String]) -> Bool {
        names.allSatisfy { which($0) != nil } || ProcessInfo.processInfo.environment["ASSAY_REQUIRE_SERVICES"] == "1"
    }

    /// Throws, naming how to get it, when `tool` is not on PATH.
    public static func requireInstalled(_ tool: String) throws {
        guard tool.contains("/") || which(tool) != nil else {
            throw CocoaError(
                .executableNotLoadable,
                userInfo: [NSLocalizedDescriptionKey: "\(tool) is not installed: scripts/test installs every tool the tests use (Debian packages and PyPI)"])
        }
    }

    /// Whether python3 can import every module, or CI demands them (then a missing module fails its test).
    public static func pythonModulesAvailable(_ modules: [String]) -> Bool {
        if ProcessInfo.processInfo.environment["ASSAY_REQUIRE_SERVICES"] == "1" { return true }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", modules.map { "import \($0)" }.joined(separator: "; ")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Runs `arguments` in `directory`; throws unless it exits 0.
    public static func run(_ arguments: [String], in directory: String) throws {
        try requireInstalled(arguments[0])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: arguments.joined(separator: " ")])
        }
    }

    /// Runs a configured process to completion and returns what it printed. Output goes to temporary files, not
    /// pipes: a child that fills one pipe while the other is being read (a sanitizer's report on stderr) would
    /// block forever.
    public static func capture(_ process: Process) throws -> (stdout: Data, stderr: Data) {
        let directory = try TestFiles.temporaryDirectory("capture")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let paths = [directory + "/stdout", directory + "/stderr"]
        for path in paths where !FileManager.default.createFile(atPath: path, contents: nil) {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        let handles = try paths.map { try FileHandle(forWritingTo: URL(fileURLWithPath: $0)) }
        defer { for handle in handles { try? handle.close() } }
        process.standardOutput = handles[0]
        process.standardError = handles[1]
        try process.run()
        process.waitUntilExit()
        return (try Data(contentsOf: URL(fileURLWithPath: paths[0])), try Data(contentsOf: URL(fileURLWithPath: paths[1])))
    }

    /// An OCI layout `img` (tag `latest`) with one layer holding model.txt, written by umoci in `directory`.
    public static func buildImage(in directory: String) throws {
        try run(["umoci", "init", "--layout", "img"], in: directory)
        try run(["umoci", "new", "--image", "img:latest"], in: directory)
        try run(["umoci", "unpack", "--rootless", "--image", "img:latest", "bundle"], in: directory)
        try Data("weights v1\n".utf8).write(to: URL(fileURLWithPath: directory + "/bundle/rootfs/model.txt"))
        try run(["umoci", "repack", "--image", "img:latest", "bundle"], in: directory)
    }
}
