import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How one execution of a command ended.
public struct CommandResult: Sendable, Hashable {
    /// Exit status, or nil when the process could not be started.
    public var exitCode: Int32?
    /// Signal that ended the process, if any.
    public var signal: Int32?
    public var timedOut: Bool
    public var durationSeconds: Double
    /// Why the process could not be started (missing executable, permission denied).
    public var launchError: String?

    public var succeeded: Bool { exitCode == 0 && !timedOut && launchError == nil }
}

/// Runs one command with a timeout, its output going to files (never to pipes, which can fill and block).
public enum CommandRunner {
    public static func run(
        _ argv: [String], workingDirectory: String, environment: [String: String], stdoutPath: String, stderrPath: String,
        timeoutSeconds: Double
    ) -> CommandResult {
        let started = ContinuousClock.now
        func elapsed() -> Double {
            let d = ContinuousClock.now - started
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        guard let executable = argv.first else {
            return CommandResult(exitCode: nil, signal: nil, timedOut: false, durationSeconds: 0, launchError: "empty command")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: resolveExecutable(executable, environment: environment))
        process.arguments = Array(argv.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        process.environment = environment
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        guard let out = FileHandle(forWritingAtPath: stdoutPath), let err = FileHandle(forWritingAtPath: stderrPath) else {
            return CommandResult(exitCode: nil, signal: nil, timedOut: false, durationSeconds: 0, launchError: "cannot create \(stdoutPath)")
        }
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            return CommandResult(
                exitCode: nil, signal: nil, timedOut: false, durationSeconds: elapsed(),
                launchError: "cannot start \(executable): \(error.localizedDescription)")
        }
        // Foundation starts the child as the leader of its own process group; signalling the group also
        // reaches grandchildren, which would otherwise keep the run alive past its timeout.
        let group = process.processIdentifier
        var timedOut = false
        if finished.wait(timeout: .now() + timeoutSeconds) == .timedOut {
            timedOut = true
            kill(-group, SIGTERM)
            if finished.wait(timeout: .now() + 2) == .timedOut {
                kill(-group, SIGKILL)
                finished.wait()
            }
        }
        let byUncaughtSignal = process.terminationReason == .uncaughtSignal
        return CommandResult(
            exitCode: byUncaughtSignal ? nil : process.terminationStatus,
            signal: byUncaughtSignal ? process.terminationStatus : nil,
            timedOut: timedOut, durationSeconds: elapsed(), launchError: nil)
    }

    /// An absolute path as is; a bare name looked up on PATH.
    static func resolveExecutable(_ name: String, environment: [String: String]) -> String {
        if name.contains("/") { return name }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return name
    }
}
