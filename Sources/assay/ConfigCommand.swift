import ArgumentParser
import AssayApp

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a configuration file.",
        subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse assay.yaml and report the first error with its file, line and key.")

        @OptionGroup var options: ConfigOption
        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped { try emit(ConfigSummary(try options.load(), path: options.path), formatting.format) }
        }
    }
}
