import AssayCore

/// The `thresholds:` section: each key, where it lands in `Thresholds`, and which values are possible.
enum ThresholdKeys {
    struct DoubleKey {
        let section: String
        let key: String
        let path: WritableKeyPath<Thresholds, Double>
        let range: ClosedRange<Double>
        let openAtZero: Bool
    }

    struct IntKey {
        let section: String
        let key: String
        let path: WritableKeyPath<Thresholds, Int>
        let minimum: Int
    }

    static let percent = 0.0...100.0
    static let positive = 0.0...Double.greatestFiniteMagnitude

    static var doubles: [DoubleKey] { [
        .init(section: "environment", key: "max_drift_percent", path: \.environment.maxDriftPercent, range: percent, openAtZero: false),
        .init(section: "reproducibility", key: "absolute_tolerance", path: \.reproducibility.absoluteTolerance, range: positive, openAtZero: false),
        .init(section: "reproducibility", key: "relative_tolerance", path: \.reproducibility.relativeTolerance, range: positive, openAtZero: false),
        .init(section: "resources", key: "cpu_percent", path: \.resources.cpuPercent, range: percent, openAtZero: true),
        .init(section: "resources", key: "gpu_percent", path: \.resources.gpuPercent, range: percent, openAtZero: true),
        .init(section: "resources", key: "memory_percent", path: \.resources.memoryPercent, range: percent, openAtZero: true),
        .init(section: "resources", key: "disk_io_mb_per_s", path: \.resources.diskIOMegabytesPerSecond, range: positive, openAtZero: true),
        .init(section: "resources", key: "uptime_p95_percent", path: \.resources.uptimeP95Percent, range: percent, openAtZero: true),
        .init(section: "resources", key: "spike_rise_percent", path: \.resources.spikeRisePercent, range: positive, openAtZero: true),
        .init(section: "resources", key: "spike_floor_percent", path: \.resources.spikeFloorPercent, range: percent, openAtZero: false),
        .init(section: "resources", key: "gpu_memory_growth_percent_per_hour", path: \.resources.gpuMemoryGrowthPercentPerHour, range: positive, openAtZero: true),
        .init(section: "resources", key: "sustained_load_percent", path: \.resources.sustainedLoadPercent, range: percent, openAtZero: true),
        .init(section: "resources", key: "sustained_seconds", path: \.resources.sustainedSeconds, range: positive, openAtZero: true),
        .init(section: "resources", key: "sustained_clear_percent", path: \.resources.sustainedClearPercent, range: percent, openAtZero: true),
        .init(section: "resources", key: "keep_firing_seconds", path: \.resources.keepFiringSeconds, range: 0.0...1e9, openAtZero: false),
        .init(section: "latency", key: "min_attributed_percent", path: \.latency.minAttributedPercent, range: percent, openAtZero: false),
        .init(section: "latency", key: "max_unknown_percent", path: \.latency.maxUnknownPercent, range: percent, openAtZero: false),
        .init(section: "latency", key: "max_gpu_idle_percent", path: \.latency.maxGPUIdlePercent, range: percent, openAtZero: false),
        .init(section: "latency", key: "optimization_min_p95_drop_ms", path: \.latency.optimizationMinP95DropMilliseconds, range: positive, openAtZero: false),
        .init(section: "latency", key: "confidence_level", path: \.latency.confidenceLevel, range: 0.5...0.999, openAtZero: false),
        .init(section: "regression", key: "p95_over_baseline_ms", path: \.regression.p95OverBaselineMilliseconds, range: positive, openAtZero: false),
        .init(section: "regression", key: "mean_increase_percent", path: \.regression.meanIncreasePercent, range: positive, openAtZero: false),
        .init(section: "regression", key: "throughput_drop_rps", path: \.regression.throughputDropRequestsPerSecond, range: positive, openAtZero: false),
        .init(section: "regression", key: "min_delta_ms", path: \.regression.minDeltaMilliseconds, range: positive, openAtZero: false),
        .init(section: "regression", key: "escalate_after_seconds", path: \.regression.escalateAfterSeconds, range: positive, openAtZero: false),
        .init(section: "baseline", key: "window_days", path: \.baseline.windowDays, range: positive, openAtZero: true),
        .init(section: "baseline", key: "change_point_max_p", path: \.baseline.changePointMaxPValue, range: 0.0...0.5, openAtZero: true),
        .init(section: "capacity", key: "peak_utilization_percent", path: \.capacity.peakUtilizationPercent, range: percent, openAtZero: true),
        .init(section: "report", key: "review_interval_hours", path: \.report.reviewIntervalHours, range: positive, openAtZero: true),
    ] }

    static var ints: [IntKey] { [
        .init(section: "reproducibility", key: "runs", path: \.reproducibility.runs, minimum: 2),
        .init(section: "latency", key: "bootstrap_resamples", path: \.latency.bootstrapResamples, minimum: 100),
        .init(section: "baseline", key: "min_runs", path: \.baseline.minRuns, minimum: 2),
        .init(section: "resources", key: "spike_persistence_samples", path: \.resources.spikePersistenceSamples, minimum: 1),
        .init(section: "baseline", key: "change_point_window", path: \.baseline.changePointWindow, minimum: 2),
        .init(section: "latency", key: "bootstrap_block_length", path: \.latency.bootstrapBlockLength, minimum: 1),
        .init(section: "latency", key: "min_samples_p95", path: \.latency.minSamplesP95, minimum: 20),
        .init(section: "latency", key: "min_samples_p99", path: \.latency.minSamplesP99, minimum: 100),
        .init(section: "report", key: "summary_max_words", path: \.report.summaryMaxWords, minimum: 20),
    ] }

    static var sections: [String] {
        var seen: [String] = []
        for name in doubles.map(\.section) + ints.map(\.section) + ["capacity", "latency"] where !seen.contains(name) {
            seen.append(name)
        }
        return seen
    }

    /// Reads the `thresholds:` mapping over the defaults.
    static func read(_ reader: YAMLReader) throws -> Thresholds {
        var thresholds = Thresholds()
        for section in sections {
            guard let sub = try reader.mapping(section) else { continue }
            for spec in doubles where spec.section == section {
                guard let value = try sub.double(spec.key) else { continue }
                let low = spec.range.lowerBound
                if !spec.range.contains(value) || (spec.openAtZero && value == low) {
                    let bound = spec.range.upperBound == Double.greatestFiniteMagnitude
                        ? (spec.openAtZero ? "> \(format(low))" : "≥ \(format(low))")
                        : "\(spec.openAtZero ? "in (" : "in [")\(format(low)), \(format(spec.range.upperBound))]"
                    throw sub.error(sub.node(spec.key), key: spec.key, "impossible value \(format(value)): must be \(bound)")
                }
                thresholds[keyPath: spec.path] = value
            }
            for spec in ints where spec.section == section {
                guard let value = try sub.int(spec.key) else { continue }
                guard value >= spec.minimum else {
                    throw sub.error(sub.node(spec.key), key: spec.key, "impossible value \(value): must be ≥ \(spec.minimum)")
                }
                thresholds[keyPath: spec.path] = value
            }
            if section == "latency", let seed = try sub.int("bootstrap_seed") {
                guard seed >= 0 else { throw sub.error(sub.node("bootstrap_seed"), key: "bootstrap_seed", "must be ≥ 0") }
                thresholds.latency.bootstrapSeed = UInt64(seed)
            }
            if section == "capacity", let projections = try sub.doubles("projections_percent") {
                guard !projections.isEmpty, projections.allSatisfy({ $0 > 0 && $0 <= 1000 }) else {
                    throw sub.error(
                        sub.node("projections_percent"), key: "projections_percent",
                        "impossible value: each projection must be in (0, 1000] percent")
                }
                thresholds.capacity.projectionsPercent = projections
            }
            try sub.finish()
        }
        try reader.finish()
        return thresholds
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
