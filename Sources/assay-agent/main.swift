import ArgumentParser
import AssayAgentCommand
import AssayConfig
import AssayCore
import AssayStore
import Foundation

/// The slim agent for inference hosts: sampling, the SQLite store and /metrics, nothing else linked.
@main
struct AssayAgentMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assay-agent",
        abstract: "Sample this host every interval, keep the samples in SQLite, serve /metrics (what `assay agent` does, in a small binary).",
        discussion: AgentOptions.discussion + " Stores to SQLite only; for a PostgreSQL store run `assay agent`.",
        version: AssayVersion.current)

    @Option(name: .shortAndLong, help: "Path of the configuration file (default: assay.yaml when present, else every default).")
    var config: String = "assay.yaml"

    @OptionGroup var agent: AgentOptions

    func run() async throws {
        // The agent keeps time in UTC (samples and log lines carry +0000). Saying so before anything asks for the
        // local time zone keeps ICU's time-zone tables out of memory: 1.3 MB of the agent's RSS.
        setenv("TZ", "GMT", 1)
        do {
            let configuration: Configuration
            if FileManager.default.fileExists(atPath: config) {
                configuration = try ConfigLoader.load(path: config)
            } else if config != "assay.yaml" {
                throw InputError(path: config, line: 0, expected: "a configuration file")
            } else {
                let cwd = FileManager.default.currentDirectoryPath
                configuration = Configuration(path: cwd + "/assay.yaml", root: cwd)
            }
            try await agent.run(configuration) { configuration in
                guard configuration.store.kind == .sqlite else {
                    throw InputError(path: configuration.path, line: 0, expected: "store kind sqlite (assay-agent stores to SQLite; run `assay agent` for PostgreSQL)")
                }
                return try Store(path: configuration.resolve(configuration.store.path))
            }
        } catch let error as any AssayError {
            FileHandle.standardError.write(Data("assay-agent: error: \(error.description)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
