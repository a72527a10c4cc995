import ArgumentParser
import AssayCore

@main
struct Assay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assay",
        abstract: "Verify an ML inference service before it ships: environment, reproducibility, resources, latency.",
        discussion: """
            Exit codes: 0 STABLE, 1 NEEDS FIX, 2 AT RISK, 64 usage error, 65 invalid input \
            (configuration, data), 66 missing input file, 69 a service is unreachable or stopped, 70 internal error, \
            74 cannot write output.
            """,
        version: AssayVersion.current,
        subcommands: [Init.self, Audit.self, ReportCommand.self, BaselineCommand.self, Export.self, Env.self, Repro.self, Telemetry.self, Latency.self, Trace.self, Optimize.self, Watch.self, Capacity.self, AgentCommand.self, Uptime.self, Serve.self, Token.self, Push.self, ScheduleCommand.self, LoadTest.self, Config.self]
    )
}
