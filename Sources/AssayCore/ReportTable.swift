/// The report table a finding is a row of. Each table belongs to exactly one layer.
public enum ReportTable: String, CaseIterable, Codable, Sendable, Hashable {
    case environmentIntegrity = "environment_integrity"
    case reproducibilityStatus = "reproducibility_status"
    case resourceUtilization = "resource_utilization"
    case anomalyDetection = "anomaly_detection"
    case latencyProfile = "latency_profile"
    case bottleneckAnalysis = "bottleneck_analysis"
    case performanceBaseline = "performance_baseline"
    case optimizationImpact = "optimization_impact"
    case capacityPlanning = "capacity_planning"

    /// The layer whose checks fill this table.
    public var layer: Layer {
        switch self {
        case .environmentIntegrity: .environment
        case .reproducibilityStatus: .reproducibility
        case .resourceUtilization, .anomalyDetection: .resources
        case .latencyProfile, .bottleneckAnalysis: .latency
        case .performanceBaseline, .optimizationImpact: .baseline
        case .capacityPlanning: .capacity
        }
    }
}
