import AssayCore
import Foundation

/// A job `assay schedule` runs: a full audit, the environment layer alone, or the reproducibility layer alone,
/// every period or whenever watched files change (a new model version).
public struct ScheduledJob: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable { case audit, environment, reproducibility }

    public var name: String
    public var kind: Kind
    /// Seconds between runs; nil for a job that runs only on change.
    public var every: Double?
    /// Files whose content change triggers the job (paths relative to the workspace).
    public var onChange: [String]

    public init(name: String, kind: Kind, every: Double?, onChange: [String] = []) {
        self.name = name
        self.kind = kind
        self.every = every
        self.onChange = onChange
    }

    /// The 24-hour review cycle, the weekly environment validation, and reproducibility on each new model version.
    public static func defaults(modelFiles: [String]) -> [ScheduledJob] {
        var jobs = [
            ScheduledJob(name: "daily-audit", kind: .audit, every: 86_400),
            ScheduledJob(name: "weekly-environment", kind: .environment, every: 7 * 86_400),
        ]
        if !modelFiles.isEmpty { jobs.append(ScheduledJob(name: "model-reproducibility", kind: .reproducibility, every: nil, onChange: modelFiles)) }
        return jobs
    }
}

/// What the scheduler remembers of a job between runs (and restarts).
public struct JobState: Sendable, Hashable, Codable {
    public var lastStarted: Date?
    public var lastFinished: Date?
    public var lastRunID: String?
    /// Digest of the watched files when the job last ran.
    public var trigger: String?
    /// The verdict and every finding that was not a pass, when the job last ran.
    public var fingerprint: [String]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case trigger, fingerprint
        case lastStarted = "last_started"
        case lastFinished = "last_finished"
        case lastRunID = "last_run_id"
    }
}

/// When jobs are due and what changed between two runs of one.
public enum Schedule {
    /// Due when it never ran, when its period has passed since it last started (however many periods were
    /// missed, it runs once), or when its watched files changed.
    public static func isDue(_ job: ScheduledJob, state: JobState?, now: Date, trigger: String?) -> Bool {
        guard let started = state?.lastStarted else { return true }
        if let trigger, !job.onChange.isEmpty, trigger != state?.trigger { return true }
        guard let every = job.every else { return false }
        return now.timeIntervalSince(started) >= every
    }

    /// When the job is next due by its period (nil for change-only jobs).
    public static func nextDue(_ job: ScheduledJob, state: JobState?, now: Date) -> Date? {
        guard let every = job.every else { return nil }
        guard let started = state?.lastStarted else { return now }
        return max(now, started.addingTimeInterval(every))
    }

    /// "verdict STABLE" and one "table · check · status" line per finding that is not a pass, sorted.
    public static func fingerprint(_ run: AuditRun) -> [String] {
        ["verdict \(run.judgement.verdict.rawValue)"]
            + run.findings.filter { $0.status != .pass }.map { "\($0.table.rawValue) · \($0.check) · \($0.status.rawValue)" }.sorted()
    }

    public struct Change: Sendable, Hashable {
        public var verdict: (before: String, after: String)?
        public var appeared: [String]
        public var cleared: [String]

        public static func == (a: Change, b: Change) -> Bool {
            a.verdict?.before == b.verdict?.before && a.verdict?.after == b.verdict?.after && a.appeared == b.appeared && a.cleared == b.cleared
        }

        public func hash(into hasher: inout Hasher) { hasher.combine(appeared); hasher.combine(cleared) }

        public var summary: String {
            var parts: [String] = []
            if let verdict { parts.append("verdict \(verdict.before) → \(verdict.after)") }
            if !appeared.isEmpty { parts.append("new: " + appeared.joined(separator: "; ")) }
            if !cleared.isEmpty { parts.append("cleared: " + cleared.joined(separator: "; ")) }
            return parts.joined(separator: " · ")
        }
    }

    /// What changed since the previous run; nil when nothing did. The first run is compared with a clean state
    /// (STABLE, no findings), so it notifies only when it finds something.
    public static func change(from previous: [String]?, to current: [String]) -> Change? {
        let before = previous ?? ["verdict STABLE"]
        let verdictBefore = before.first { $0.hasPrefix("verdict ") } ?? "verdict STABLE"
        let verdictAfter = current.first { $0.hasPrefix("verdict ") } ?? "verdict STABLE"
        let appeared = current.filter { !$0.hasPrefix("verdict ") && !before.contains($0) }
        let cleared = before.filter { !$0.hasPrefix("verdict ") && !current.contains($0) }
        let verdict = verdictBefore == verdictAfter ? nil : (String(verdictBefore.dropFirst(8)), String(verdictAfter.dropFirst(8)))
        guard verdict != nil || !appeared.isEmpty || !cleared.isEmpty else { return nil }
        return Change(verdict: verdict, appeared: appeared, cleared: cleared)
    }
}

/// The scheduler's state file, written atomically.
public enum ScheduleStateFile {
    public static func load(_ path: String) throws -> [String: JobState] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        do {
            return try JSONCoding.decoder().decode([String: JobState].self, from: data)
        } catch {
            throw ScheduleError(message: "\(path): expected the scheduler's state (job name → last run), \(error)")
        }
    }

    public static func save(_ states: [String: JobState], to path: String) throws {
        try AtomicFile.write(try JSONCoding.encoder(pretty: true).encode(states), to: path)
    }
}

public struct ScheduleError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// An exclusive lock next to the state file, so two schedulers never run jobs over each other; released when the
/// process ends, even by a crash.
public final class ScheduleLock: Sendable {
    private let descriptor: Int32

    public init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ScheduleError(message: "\(path): cannot open the lock file (errno \(errno))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw ScheduleError(message: "\(path): another assay schedule holds the lock; jobs never overlap")
        }
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

extension ScheduleError: AssayError {
    public var exitCode: Int32 { ExitStatus.invalidInput }
}
