/// One layer of the audit, in the order the audit runs them and the report shows them.
public enum Layer: String, CaseIterable, Codable, Sendable, Hashable, Comparable {
    case environment
    case reproducibility
    case resources
    case latency
    case baseline
    case capacity

    /// The heading word a person reads for this layer.
    public var title: String {
        switch self {
        case .environment: "Environment integrity"
        case .reproducibility: "Reproducibility"
        case .resources: "Resource utilization"
        case .latency: "Latency profile"
        case .baseline: "Performance baseline"
        case .capacity: "Capacity planning"
        }
    }

    /// Position in the audit's order.
    public var rank: Int {
        switch self {
        case .environment: 0
        case .reproducibility: 1
        case .resources: 2
        case .latency: 3
        case .baseline: 4
        case .capacity: 5
        }
    }

    public static func < (lhs: Layer, rhs: Layer) -> Bool { lhs.rank < rhs.rank }
}

/// The latency stages a request log is read for when none are configured.
public enum LatencyStages {
    public static let defaults = ["preprocess", "inference", "postprocess"]
}
