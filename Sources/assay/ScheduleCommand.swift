import ArgumentParser
import AssayAudit
import AssayBaseline
import AssayConfig
import AssayCore
import AssayIntegrations
import AssaySchedule
import AssayStore
import Foundation

struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Run audits on a calendar: stored, and notified only when the verdict or a finding changes.",
        discussion: """
            Jobs come from the schedule section of assay.yaml; without one: a full audit every 24 h, the environment \
            layer every 7 days, and the reproducibility layer whenever a model artifact's bytes change. A job that \
            missed several periods (the host was down) runs once; jobs run one at a time, and a lock next to the \
            state file keeps a second scheduler out. Each run is stored; webhooks and Alertmanager \
            (integrations.webhooks, integrations.alertmanager.url) hear of it only when its verdict or its set of \
            findings that are not a pass differs from the job's previous run. --once runs what is due and exits (for cron).
            """)

    @OptionGroup var options: ConfigOption

    @Flag(help: "Run the jobs that are due once, then exit.")
    var once = false

    @Option(help: "Stop after this many checks for due jobs (default: run until SIGTERM/SIGINT).")
    var ticks: Int?

    func run() async throws {
        try await runMapped {
            let configuration = try options.load()
            let spec = configuration.schedule
            let jobs = spec.map { $0.jobs.map { ScheduledJob(name: $0.name, kind: ScheduledJob.Kind(rawValue: $0.kind) ?? .audit, every: $0.everySeconds, onChange: $0.onChange) } }
                ?? ScheduledJob.defaults(modelFiles: configuration.artifacts.filter { $0.kind == .model }.map(\.path))
            let statePath = configuration.resolve(spec?.state ?? ".assay/schedule-state.json")
            let tick = spec?.tickSeconds ?? 30
            let lock: ScheduleLock
            do {
                lock = try ScheduleLock(path: statePath + ".lock")
            } catch let error as ScheduleError {
                throw CommandError(message: error.message, code: ExitStatus.unavailable)
            }
            var notifier = AlertNotifier(
                alertmanagerURL: configuration.integrations.alertmanagerURL, webhooks: configuration.integrations.webhooks,
                service: configuration.service)
            notifier.alertName = "AssayScheduledAudit"
            var states = try ScheduleStateFile.load(statePath)
            var count = 0
            while true {
                for job in jobs {
                    let trigger = try Self.trigger(job, configuration: configuration)
                    let now = Date()
                    guard Schedule.isDue(job, state: states[job.name], now: now, trigger: trigger) else { continue }
                    var state = states[job.name] ?? JobState()
                    state.lastStarted = now
                    states[job.name] = state
                    try ScheduleStateFile.save(states, to: statePath)
                    let run = try await Self.execute(job, configuration: configuration)
                    let fingerprint = Schedule.fingerprint(run)
                    let change = Schedule.change(from: state.fingerprint, to: fingerprint)
                    state.lastFinished = Date()
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
                            since: now, at: Date(), condition: "\(job.kind.rawValue) \(run.id): \(change.summary)")
                        do {
                            let sent = try await notifier.deliver([event])
                            note = "changed (\(change.summary)); \(sent) notification(s) sent"
                        } catch let error as AlertDeliveryError {
                            Terminal.error(error.description)
                            note = "changed (\(change.summary)); notification failed"
                        }
                    }
                    print("\(Date().formatted(.iso8601)) \(job.name): \(job.kind.rawValue) \(run.id) \(run.judgement.verdict.rawValue), \(note)")
                    fflush(nil)
                }
                count += 1
                if once || ticks.map({ count >= $0 }) == true { break }
                try await Task.sleep(for: .milliseconds(Int(tick * 1000)))
            }
            withExtendedLifetime(lock) {}
            return 0
        }
    }

    /// The digest of the watched files' bytes (absent files count as absent), or nil for a job that watches none.
    static func trigger(_ job: ScheduledJob, configuration: Configuration) throws -> String? {
        guard !job.onChange.isEmpty else { return nil }
        let lines = try job.onChange.map { path -> String in
            let absolute = configuration.resolve(path)
            guard FileManager.default.fileExists(atPath: absolute) else { return "\(path) absent" }
            return "\(path) \(try FileDigest.sha256(ofFileAt: absolute))"
        }
        return FileDigest.sha256(of: Data(lines.joined(separator: "\n").utf8))
    }

    /// Runs the job's layers, stores the run (and, for a full audit, its metric history).
    static func execute(_ job: ScheduledJob, configuration: Configuration) async throws -> AuditRun {
        try await withStore(configuration) { store in
            var checks = auditChecks(configuration, store: store)
            var rules = configuration.verdictRules
            switch job.kind {
            case .audit: break
            case .environment:
                checks = checks.filter { $0.layer == .environment }
                rules.requiredLayers = [.environment]
            case .reproducibility:
                checks = checks.filter { $0.layer == .reproducibility }
                rules.requiredLayers = [.reproducibility]
            }
            var scoped = configuration
            scoped.verdictRules = rules
            let run = try await Auditor(checks: checks).audit(scoped)
            if job.kind == .audit {
                try await saveWithHistory(run, configuration: configuration, store: store)
            } else {
                try await store.save(run)
            }
            return run
        }
    }
}
