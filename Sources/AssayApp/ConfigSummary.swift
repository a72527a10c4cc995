import AssayConfig
import AssayCore

/// What `assay config validate` prints about a configuration that parsed.
public struct ConfigSummary: CommandOutput {
    public var path: String
    public var service: String
    public var root: String
    public var artifacts: Int
    public var inference: Bool
    public var requiredLayers: [String]
    public var store: String
    public var thresholds: Thresholds

    enum CodingKeys: String, CodingKey { case service, root, artifacts, inference, requiredLayers, store, thresholds }

    public init(_ configuration: Configuration, path: String) {
        self.path = path
        service = configuration.service
        root = configuration.root
        artifacts = configuration.artifacts.count
        inference = configuration.inference != nil
        requiredLayers = configuration.verdictRules.requiredLayers.sorted().map(\.rawValue)
        store = configuration.store.kind == .sqlite ? configuration.resolve(configuration.store.path) : "postgres"
        thresholds = configuration.thresholds
    }

    var lines: [String] {
        [
            "service: \(service)", "artifacts: \(artifacts), inference: \(inference ? "configured" : "none")",
            "required layers: \(requiredLayers.joined(separator: ", "))", "store: \(store)",
        ]
    }

    public func text() -> String { (["\(path): valid"] + lines.map { "  " + $0 }).joined(separator: "\n") }
    public func markdown() -> String { (["### \(path): valid", ""] + lines.map { "- " + $0 }).joined(separator: "\n") }
}
