import ArgumentParser
import AssayApp
import AssayConfig
import AssayReport
import AssayCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension OutputFormat: ExpressibleByArgument {}

/// Options shared by commands that read `assay.yaml`.
struct ConfigOption: ParsableArguments {
    // No default value here: the parser would print it a second time after the help text, and a `--config
    // assay.yaml` given on purpose must be taken as given, not searched for in the parents.
    @Option(name: .shortAndLong, help: "Path of the configuration file (default: assay.yaml here or in the nearest parent directory).")
    var config: String?

    /// The path the configuration is read from, or looked for.
    var path: String { config ?? "assay.yaml" }

    /// The configuration: `--config` when given; else `assay.yaml` here or in the nearest parent directory.
    func load() throws -> Configuration {
        try Workspace.configuration(path, explicit: config != nil)
    }

    /// The configuration when the file exists; otherwise every default.
    func loadOrDefaults() throws -> Configuration {
        try Workspace.configurationOrDefaults(path)
    }
}

/// The one `--format` every command that prints a result shares.
struct FormatOption: ParsableArguments {
    @Option(help: "How to print the result: text, json or markdown.")
    var format: OutputFormat = .text
}

enum Terminal {
    /// Colour only on a terminal, and never when NO_COLOR is set.
    static var useColor: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    static func paint(_ verdict: Verdict) -> String {
        guard useColor else { return verdict.rawValue }
        let code = switch verdict {
        case .stable: "32"
        case .needsFix: "33"
        case .atRisk: "31"
        }
        return "\u{1B}[1;\(code)m\(verdict.rawValue)\u{1B}[0m"
    }

    static func error(_ message: String) { say("error", message) }

    /// Something not verified: the command goes on, and its exit code says so.
    static func warning(_ message: String) { say("warning", message) }

    /// Said for the reader, not a failure.
    static func note(_ message: String) { say("note", message) }

    /// Progress on stderr, redrawn in place; nil (say nothing) when stderr is not a terminal or `quiet`.
    static func progress(quiet: Bool) -> (@Sendable (String) -> Void)? {
        guard !quiet, isatty(STDERR_FILENO) == 1 else { return nil }
        return { line in FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8)) }
    }

    /// Ends a progress line, so what follows starts on a line of its own.
    static func endProgress() { FileHandle.standardError.write(Data("\n".utf8)) }

    private static func say(_ kind: String, _ message: String) {
        FileHandle.standardError.write(Data("assay: \(kind): \(message)\n".utf8))
    }
}

/// Prints a use case's result in `format` and returns its exit code.
func emit(_ output: some CommandOutput, _ format: OutputFormat) throws -> Int32 {
    if format == .text, let audit = output as? AuditOutcome {
        print(audit.text(verdict: Terminal.paint(audit.report.verdict)))
    } else {
        print(try output.rendered(format), terminator: "")
    }
    return output.exitCode
}

/// Runs a command body and turns every error into a message on stderr and a documented exit code.
func runMapped(_ body: () async throws -> Int32) async throws {
    let code: Int32
    do {
        code = try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as any AssayError {
        Terminal.error(error.description)
        code = error.exitCode
    } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
        Terminal.error("\((error.userInfo[NSFilePathErrorKey] as? String) ?? "a file"): no such file")
        code = ExitStatus.missingInput
    } catch {
        Terminal.error("\(error)")
        code = ExitStatus.internalError
    }
    if code != 0 { throw ExitCode(code) }
}
