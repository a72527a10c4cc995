import ArgumentParser
import AssayAgentCommand
import AssayApp

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run on an inference host: sample it every interval, keep the samples, serve /metrics.",
        discussion: AgentOptions.discussion + " On hosts that need only this, install the slim `assay-agent` binary instead.")

    @OptionGroup var options: ConfigOption
    @OptionGroup var agent: AgentOptions

    func run() async throws {
        try await runMapped {
            try await agent.run(try options.loadOrDefaults()) { try await Workspace.openStore($0) }
            return 0
        }
    }
}
