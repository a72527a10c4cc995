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
    /// The order the child sees its environment variables in.
    public enum EnvironmentOrder: Sendable {
        case sorted, reversed
    }

    /// Runs `argv` through `/usr/bin/env -i NAME=value… command`, so the child's environment holds exactly
    /// `environment`, in a controlled order (Foundation would pass it in hash order, different each time).
    public static func run(
        _ argv: [String], workingDirectory: String, environment: [String: String],
        environmentOrder: EnvironmentOrder = .sorted, stdoutPath: String, stderrPath: String, timeoutSeconds: Double
    ) -> CommandResult {
        let started = ContinuousClock.now
        func elapsed() -> Double {
            let d = ContinuousClock.now - started
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        guard let executable = argv.first else {
            return CommandResult(exitCode: nil, signal: nil, timedOut: false, durationSeconds: 0, launchError: "empty command")
        }
        let resolved = resolveExecutable(executable, environment: environment)
        guard FileManager.default.isExecutableFile(atPath: resolved) else {
            return CommandResult(
                exitCode: nil, signal: nil, timedOut: false, durationSeconds: 0,
                launchError: "cannot start \(executable): no such executable file")
        }
        var assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        if environmentOrder == .reversed { assignments.reverse() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["-i"] + assignments + [resolved] + Array(argv.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        process.environment = environment
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
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
    public static func resolveExecutable(_ name: String, environment: [String: String]) -> String {
        if name.contains("/") { return name }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return name
    }
}
