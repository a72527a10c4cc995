import ArgumentParser
import AssayApp
import AssayConfig
import AssayCore
import Foundation

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a commented assay.yaml with every threshold at its default.")

    @Option(name: .shortAndLong, help: "Where to write the configuration.")
    var output: String = "assay.yaml"

    @Option(help: "Service name shown in the report title.")
    var service: String = "inference-service"

    @Flag(help: "Overwrite an existing file.")
    var force = false

    func run() async throws {
        try await runMapped {
            if FileManager.default.fileExists(atPath: output), !force {
                throw AppError("\(output) exists; pass --force to overwrite it", code: ExitStatus.usage)
            }
            try AtomicFile.write(Array(ConfigTemplate.text(service: service).utf8), to: output)
            print("Wrote \(output)")
            return 0
        }
    }
}
