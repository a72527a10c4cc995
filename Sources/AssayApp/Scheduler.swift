import AssayBaseline
import AssayConfig
import AssayCore
import AssayEnvironment
import AssayIntegrations
import AssaySchedule
import Foundation

/// `assay schedule`: jobs run when due, one at a time, each stored; notified only when the verdict or the set of
/// findings that are not a pass changes.
public struct Scheduler {
    public var configuration: Configuration
    public var jobs: [ScheduledJob]
    public var statePath: String
    public var tickSeconds: Double

    public init(configuration: Configuration) {
        self.configuration = configuration
        let spec = configuration.schedule
        jobs = spec.map {
            $0.jobs.map { ScheduledJob(name: $0.name, kind: ScheduledJob.Kind(rawValue: $0.kind) ?? .audit, every: $0.everySeconds, onChange: $0.onChange) }
        } ?? ScheduledJob.defaults(modelFiles: configuration.artifacts.filter { $0.kind == .model }.map(\.path))
        statePath = configuration.resolve(spec?.state ?? ".assay/schedule-state.json")
        tickSeconds = spec?.tickSeconds ?? 30
    }

    /// Checks for due jobs `ticks` times (forever when nil), `tickSeconds` apart; `report` receives a line per job run.
    public func run(ticks: Int?, clock: some WatchClock, report: (String) -> Void, warn: (String) -> Void) async throws {
        let lock: ScheduleLock
        do {
            lock = try ScheduleLock(path: statePath + ".lock")
        } catch let error as ScheduleError {
            throw AppError(error.message, code: ExitStatus.unavailable)
        }
        var notifier = AlertNotifier(
            alertmanagerURL: configuration.integrations.alertmanagerURL, webhooks: configuration.integrations.webhooks,
            service: configuration.service)
        notifier.alertName = "AssayScheduledAudit"
        var states = try ScheduleStateFile.load(statePath)
        var count = 0
        while true {
            for job in jobs {
                let trigger = try self.trigger(job)
                let now = clock.now()
                guard Schedule.isDue(job, state: states[job.name], now: now, trigger: trigger) else { continue }
                var state = states[job.name] ?? JobState()
                state.lastStarted = now
                states[job.name] = state
                try ScheduleStateFile.save(states, to: statePath)
                let run = try await AuditPipeline(configuration: configuration).runScoped(Self.layers(job.kind))
                let fingerprint = Schedule.fingerprint(run)
                let change = Schedule.change(from: state.fingerprint, to: fingerprint)
                state.lastFinished = clock.now()
                state.lastRunID = run.id
                state.trigger = trigger
                state.fingerprint = fingerprint
                states[job.name] = state
                try ScheduleStateFile.save(states, to: statePath)
                var note = "no change"
                if let change {
                    let clean = fingerprint.count == 1 && run.judgement.verdict == .stable
                    let event = AlertEvent(
                        rule: job.name, kind: clean ? .resolved : .firing, value: Double(fingerprint.count - 1), limit: 0,
                        since: now, at: clock.now(), condition: "\(job.kind.rawValue) \(run.id): \(change.summary)")
                    do {
                        let sent = try await notifier.deliver([event])
                        note = "changed (\(change.summary)); \(sent) notification(s) sent"
                    } catch let error as AlertDeliveryError {
                        warn(error.description)
                        note = "changed (\(change.summary)); notification failed"
                    }
                }
                report("\(clock.now().formatted(.iso8601)) \(job.name): \(job.kind.rawValue) \(run.id) \(run.judgement.verdict.rawValue), \(note)")
            }
            count += 1
            if ticks.map({ count >= $0 }) == true { break }
            try await clock.sleep(seconds: tickSeconds)
        }
        withExtendedLifetime(lock) {}
    }

    /// The layers a job runs; nil for a full audit.
    static func layers(_ kind: ScheduledJob.Kind) -> Set<Layer>? {
        switch kind {
        case .audit: nil
        case .environment: [.environment]
        case .reproducibility: [.reproducibility]
        }
    }

    /// The digest of the watched files' bytes (absent files count as absent), or nil for a job that watches none.
    func trigger(_ job: ScheduledJob) throws -> String? {
        guard !job.onChange.isEmpty else { return nil }
        let lines = try job.onChange.map { path -> String in
            let absolute = configuration.resolve(path)
            guard FileManager.default.fileExists(atPath: absolute) else { return "\(path) absent" }
            return "\(path) \(try FileDigest.sha256(ofFileAt: absolute))"
        }
        return FileDigest.sha256(of: Data(lines.joined(separator: "\n").utf8))
    }
}
