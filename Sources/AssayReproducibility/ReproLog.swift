import AssayCore
import Foundation

/// One run of the inference command inside a reproducibility check.
public struct ReproRun: Sendable, Hashable, Codable {
    public var index: Int
    /// The variation applied to this run; nil for a plain repeat.
    public var variation: Variation?
    public var exitCode: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    public var durationSeconds: Double
    public var launchError: String?
    public var stdoutSHA256: String?
    /// Declared output → sha256 (tree digest for directories); nil when the output is missing.
    public var outputs: [String: String?]

    enum CodingKeys: String, CodingKey {
        case index, variation, signal, outputs
        case exitCode = "exit_code"
        case timedOut = "timed_out"
        case durationSeconds = "duration_seconds"
        case launchError = "launch_error"
        case stdoutSHA256 = "stdout_sha256"
    }

    public var failure: String? {
        if let launchError { return launchError }
        if timedOut { return "run \(index) timed out after \(durationSeconds.formatted(.number.precision(.fractionLength(1)))) s" }
        if let signal { return "run \(index) killed by signal \(signal)" }
        if let exitCode, exitCode != 0 { return "run \(index) exited with status \(exitCode)" }
        return nil
    }
}

/// One entry of `reproducibility_logs.json`: the same command, the same seed, N runs.
public struct ReproEntry: Sendable, Hashable, Codable {
    /// Unique id; cite it as `reproducibility_logs.json#<id>`.
    public var id: String
    public var recordedAt: Date
    public var command: [String]
    public var seed: Int
    /// Digest of the environment manifest the runs used, when one is configured.
    public var environmentManifestSHA256: String?
    /// Variations tried after the plain repeats, one run each.
    public var variations: [Variation]
    public var runs: [ReproRun]
    /// Every run succeeded and every declared output has one digest across runs.
    public var reproducible: Bool
    /// Where outputs first differ from run 1.
    public var differences: [OutputDifference]

    enum CodingKeys: String, CodingKey {
        case id, command, seed, variations, runs, reproducible, differences
        case recordedAt = "recorded_at"
        case environmentManifestSHA256 = "environment_manifest_sha256"
    }

    public init(
        id: String, recordedAt: Date, command: [String], seed: Int, environmentManifestSHA256: String?,
        variations: [Variation], runs: [ReproRun], reproducible: Bool, differences: [OutputDifference]
    ) {
        self.id = id
        self.recordedAt = recordedAt
        self.command = command
        self.seed = seed
        self.environmentManifestSHA256 = environmentManifestSHA256
        self.variations = variations
        self.runs = runs
        self.reproducible = reproducible
        self.differences = differences
    }

    /// `variations` and `differences` may be absent in logs written by other tools.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            recordedAt: try c.decode(Date.self, forKey: .recordedAt),
            command: try c.decode([String].self, forKey: .command),
            seed: try c.decode(Int.self, forKey: .seed),
            environmentManifestSHA256: try c.decodeIfPresent(String.self, forKey: .environmentManifestSHA256),
            variations: try c.decodeIfPresent([Variation].self, forKey: .variations) ?? [],
            runs: try c.decode([ReproRun].self, forKey: .runs),
            reproducible: try c.decode(Bool.self, forKey: .reproducible),
            differences: try c.decodeIfPresent([OutputDifference].self, forKey: .differences) ?? [])
    }
}

/// Errors reading or writing the reproducibility log.
public enum ReproLogError: Error, Sendable, CustomStringConvertible {
    case malformed(path: String, reason: String)
    case unsupportedSchema(path: String, schema: String)
    case unknownVariation(String)

    public var description: String {
        switch self {
        case .malformed(let path, let reason): "\(path): not a reproducibility log: \(reason)"
        case .unsupportedSchema(let path, let schema): "\(path): unsupported schema '\(schema)' (expected \(ReproLog.schema))"
        case .unknownVariation(let name):
            "unknown variation '\(name)' (one of: \(Variation.allCases.map(\.rawValue).joined(separator: ", ")))"
        }
    }
}

/// `reproducibility_logs.json`: `{"schema": "assay.reproducibility_logs.v1", "entries": [ReproEntry…]}`.
/// Append-only: entries are never changed or removed; each append rewrites the file atomically.
public struct ReproLog: Sendable, Hashable, Codable {
    public static let schema = "assay.reproducibility_logs.v1"
    public var schema: String
    public var entries: [ReproEntry]

    public init(entries: [ReproEntry] = []) {
        schema = Self.schema
        self.entries = entries
    }

    static func decoder() -> JSONDecoder { JSONCoding.decoder() }
    static func encoder() -> JSONEncoder { JSONCoding.encoder(pretty: true) }

    /// Reads the log at `path`; a missing file is an empty log, a corrupt one an error (never overwritten).
    public static func read(path: String) throws -> ReproLog {
        guard FileManager.default.fileExists(atPath: path) else { return ReproLog() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReproLogError.malformed(path: path, reason: "cannot read")
        }
        let log: ReproLog
        do {
            log = try decoder().decode(ReproLog.self, from: data)
        } catch {
            throw ReproLogError.malformed(path: path, reason: "\(error)")
        }
        guard log.schema == Self.schema else { throw ReproLogError.unsupportedSchema(path: path, schema: log.schema) }
        return log
    }

    /// Appends an entry and rewrites the file atomically.
    public static func append(_ entry: ReproEntry, to path: String) throws {
        var log = try read(path: path)
        log.entries.append(entry)
        try AtomicFile.write(try encoder().encode(log) + Data("\n".utf8), to: path)
    }
}

extension ReproLogError: AssayError {
    public var exitCode: Int32 { ExitStatus.invalidInput }
}
