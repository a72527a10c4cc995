import ArgumentParser
import AssayConfig
import AssayCore
import Foundation

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a configuration file.",
        subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse assay.yaml and report the first error with its file, line and key.")

        @OptionGroup var options: ConfigOption

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                let configuration = try options.load()
                switch format {
                case .json:
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    let summary = ConfigSummary(configuration)
                    print(String(decoding: try encoder.encode(summary), as: UTF8.self))
                case .markdown, .text:
                    let summary = ConfigSummary(configuration)
                    print("\(options.config): valid")
                    print("  service: \(summary.service)")
                    print("  artifacts: \(summary.artifacts), inference: \(summary.inference ? "configured" : "none")")
                    print("  required layers: \(summary.requiredLayers.joined(separator: ", "))")
                    print("  store: \(summary.store)")
                }
                return 0
            }
        }
    }
}

/// What `assay config validate --format json` prints.
struct ConfigSummary: Encodable {
    var service: String
    var root: String
    var artifacts: Int
    var inference: Bool
    var requiredLayers: [String]
    var store: String
    var thresholds: Thresholds

    init(_ configuration: Configuration) {
        service = configuration.service
        root = configuration.root
        artifacts = configuration.artifacts.count
        inference = configuration.inference != nil
        requiredLayers = configuration.verdictRules.requiredLayers.sorted().map(\.rawValue)
        store = configuration.store.kind == .sqlite ? configuration.resolve(configuration.store.path) : "postgres"
        thresholds = configuration.thresholds
    }
}
