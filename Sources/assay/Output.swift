import ArgumentParser
import AssayConfig
import AssayCore
import AssayEnvironment
import AssayIntegrations
import AssayReport
import AssayProfiling
import AssayReproducibility
import AssaySchedule
import AssayServing
import AssayTelemetry
import AssayStore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How a command prints its results.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown
}

/// Documented process exit codes besides the verdict's 0/1/2.

/// Options shared by commands that read `assay.yaml`.
struct ConfigOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "Path of the configuration file (default: assay.yaml here or in the nearest parent directory).")
    var config: String = "assay.yaml"

    /// The configuration: `--config` when given; else `assay.yaml` in the working directory or, as git finds its
    /// repository, the nearest parent that has one. When there is none, the error says where it looked.
    func load() throws -> Configuration {
        try ConfigLoader.load(path: try located())
    }

    func located() throws -> String {
        guard config == "assay.yaml", !FileManager.default.fileExists(atPath: config) else { return config }
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
        let start = directory.path
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            let candidate = directory.appendingPathComponent("assay.yaml").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        throw CommandError(
            message: "assay.yaml: not found in \(start) or any parent directory; pass --config PATH (assay init writes one)",
            code: ExitStatus.missingInput)
    }
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

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("assay: error: \(message)\n".utf8))
    }
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

/// An error a command raises with its exit code.
struct CommandError: AssayError {
    var message: String
    var code: Int32

    var description: String { message }
    var exitCode: Int32 { code }
}

/// A path from the command line, relative to the working directory, made absolute.
func absolutePath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
}

/// Fails with the documented "missing input" code (66) when a file named on the command line does not exist.
func requireFile(_ path: String) throws {
    guard FileManager.default.fileExists(atPath: path) else {
        throw CommandError(message: "\(path): no such file", code: ExitStatus.missingInput)
    }
}

/// Opens the store the configuration names.
/// Runs `body` with the configured store and closes it afterwards, whether `body` throws or not.
func withStore<T>(_ configuration: Configuration, _ body: (any AuditStore) async throws -> T) async throws -> T {
    let store = try await openStore(configuration)
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

func openStore(_ configuration: Configuration) async throws -> any AuditStore {
    switch configuration.store.kind {
    case .sqlite:
        return try Store(path: configuration.resolve(configuration.store.path))
    case .postgres:
        guard let url = configuration.store.url else {
            throw CommandError(message: "store kind postgres needs store.url (postgres://user:password@host:port/database)", code: ExitStatus.usage)
        }
        do {
            return try await PostgresStore.connect(url: url)
        } catch let error as StoreError {
            throw CommandError(message: error.description, code: ExitStatus.unavailable)
        }
    }
}

/// Writes the report files, prints the result in the chosen format, and returns the paths written.
@discardableResult
func emit(_ report: Report, configuration: Configuration, outputDirectory: String?, format: OutputFormat) throws -> [String] {
    // --output is relative to the working directory; report.output to the workspace root.
    let directory = outputDirectory.map(absolutePath)
        ?? configuration.resolve(configuration.report.output)
    let formats = configuration.report.formats.compactMap { ReportFormat(rawValue: $0.rawValue) }
    let paths = try ReportWriter.write(
        report, formats: formats, to: directory, baselineWindowDays: configuration.thresholds.baseline.windowDays)
    switch format {
    case .json:
        print(try ReportWriter.render(report, as: .json), terminator: "")
    case .markdown:
        print(try ReportWriter.render(report, as: .markdown, baselineWindowDays: configuration.thresholds.baseline.windowDays), terminator: "")
    case .text:
        print("Assay audit \(report.run.id) — \(report.service)")
        for layer in report.layers {
            let name = layer.layer.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
            if let reason = layer.notVerifiedReason {
                print("  \(name) not verified: \(reason)")
            } else {
                let counts = Dictionary(grouping: layer.findings, by: \.status).mapValues(\.count)
                let parts = FindingStatus.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
                print("  \(name) \(parts.isEmpty ? "no findings" : parts.joined(separator: ", "))")
            }
        }
        print("Verdict: \(Terminal.paint(report.verdict))")
        for reason in report.verdictReasons.prefix(10) { print("  - \(reason)") }
        if report.verdictReasons.count > 10 { print("  … \(report.verdictReasons.count - 10) more in the report") }
        for path in paths { print("Wrote \(path)") }
    }
    return paths
}

/// Prints findings as a table (text or Markdown) or as JSON.
func printFindings(_ findings: [Finding], format: OutputFormat, title: String) {
    switch format {
    case .json:
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(findings) { print(String(decoding: data, as: UTF8.self)) }
    case .markdown:
        print("### \(title)\n")
        print("| Check | Status | Observed | Expected | Evidence |")
        print("|---|---|---|---|---|")
        for f in findings {
            let cells = [f.check, f.status.rawValue, f.observed, f.expected ?? "—", "\(f.primaryEvidence.reference) (sha256 \(f.primaryEvidence.shortDigest))"]
            print("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
    case .text:
        print(title)
        for f in findings {
            let status = f.status.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)
            print("  \(status) \(f.check): \(f.observed)" + (f.expected.map { " (expected \($0))" } ?? ""))
            print("                    evidence: \(f.primaryEvidence.reference) sha256:\(f.primaryEvidence.shortDigest)")
        }
    }
}
