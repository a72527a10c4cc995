import Foundation

/// Runs a short command (looked up on PATH) to completion and returns its standard output, or nil when it
/// cannot start or exits non-zero. For tool probes such as `python3 --version` or `nvidia-smi -q -x`.
public enum ProcessOutput {
    public static func run(_ argv: [String], mergingStandardError: Bool = false) -> Data? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = mergingStandardError ? pipe : FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? data : nil
    }

    /// The first line of the output, trimmed.
    public static func firstLine(_ argv: [String], mergingStandardError: Bool = false) -> String? {
        run(argv, mergingStandardError: mergingStandardError).flatMap { data in
            String(decoding: data, as: UTF8.self).split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }
}
