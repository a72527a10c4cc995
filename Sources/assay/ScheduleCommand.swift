import ArgumentParser
import AssayApp
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
            try await Scheduler(configuration: try options.load()).run(ticks: once ? 1 : ticks, clock: SystemClock()) { line in
                print(line)
                fflush(nil)
            } warn: { Terminal.warning($0) }
            return 0
        }
    }
}
