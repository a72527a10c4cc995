/// Every threshold of the audit, with the defaults of REPORT_FORMAT.md. All are configurable in `assay.yaml`.
public struct Thresholds: Sendable, Codable, Hashable {
    public struct Environment: Sendable, Codable, Hashable {
        /// Largest share of differing components between two environments, in percent.
        public var maxDriftPercent: Double = 0.5

        public init() {}
    }

    public struct Reproducibility: Sendable, Codable, Hashable {
        /// How many times `assay repro run` runs the inference command.
        public var runs: Int = 3
        /// Absolute tolerance under which numerically different outputs count as equal.
        public var absoluteTolerance: Double = 1e-6
        /// Relative tolerance under which numerically different outputs count as equal.
        public var relativeTolerance: Double = 1e-6

        public init() {}
    }

    public struct Resources: Sendable, Codable, Hashable {
        public var cpuPercent: Double = 80
        public var gpuPercent: Double = 90
        public var memoryPercent: Double = 85
        public var diskIOMegabytesPerSecond: Double = 500
        public var uptimeP95Percent: Double = 99
        /// A sudden rise by more than this many points over the recent level (the median of the previous ten
        /// samples) counts as a spike.
        public var spikeRisePercent: Double = 20
        /// A spike must also reach this absolute level; 0, the default, sets no floor.
        public var spikeFloorPercent: Double = 0
        /// Samples a rise must persist for to count as a spike.
        public var spikePersistenceSamples: Int = 2
        /// Memory in use (GPU and host) growing faster than this many percent of itself per hour counts as a leak.
        public var gpuMemoryGrowthPercentPerHour: Double = 5
        /// Load above this many percent, held for `sustainedSeconds`, raises an alert.
        public var sustainedLoadPercent: Double = 85
        public var sustainedSeconds: Double = 180
        /// A firing sustained-load alert clears only below this (hysteresis, so it does not flap at the limit).
        public var sustainedClearPercent: Double = 75
        /// A cleared alert keeps firing this long after the load last stood above the clear threshold.
        public var keepFiringSeconds: Double = 0
    }

    public struct Latency: Sendable, Codable, Hashable {
        /// Share of trace time that must be attributed to named components.
        public var minAttributedPercent: Double = 90
        /// Share of "unknown" time above which the trace is flagged.
        public var maxUnknownPercent: Double = 10
        /// GPU idle for more than this share of its active window (first op to last) is a bottleneck.
        public var maxGPUIdlePercent: Double = 50
        /// An optimization counts only if P95 drops by at least this much and CI95 excludes 0.
        public var optimizationMinP95DropMilliseconds: Double = 2
        public var confidenceLevel: Double = 0.95
        public var bootstrapResamples: Int = 10_000
        public var bootstrapSeed: UInt64 = 20_251_014
        /// 1: i.i.d. bootstrap; more: circular blocks of this many consecutive requests (paired comparisons).
        public var bootstrapBlockLength: Int = 1
        /// Fewer samples than this and P95 is "insufficient samples", not a number.
        public var minSamplesP95: Int = 400
        /// Fewer samples than this and P99 is "insufficient samples", not a number.
        public var minSamplesP99: Int = 2000

        public init() {}
    }

    public struct Regression: Sendable, Codable, Hashable {
        public var p95OverBaselineMilliseconds: Double = 5
        public var meanIncreasePercent: Double = 10
        public var throughputDropRequestsPerSecond: Double = 20
        /// Latency changes smaller than this (absolute, ms) are never regressions, whatever their percentage:
        /// a 30% rise of a 0.02 ms stage is noise to the service.
        public var minDeltaMilliseconds: Double = 0.5
        /// A regression held longer than this escalates.
        public var escalateAfterSeconds: Double = 180

        public init() {}
    }

    public struct Baseline: Sendable, Codable, Hashable {
        public var windowDays: Double = 7
        /// Runs a baseline needs before it is reported.
        public var minRuns: Int = 3
        /// A change point counts when its two-sided Welch t-test p-value is at most this.
        public var changePointMaxPValue: Double = 0.001
        /// Runs a change point needs on either side of it.
        public var changePointWindow: Int = 4
    }

    public struct Capacity: Sendable, Codable, Hashable {
        /// Traffic growth scenarios, in percent.
        public var projectionsPercent: [Double] = [5, 20]
        /// Utilization at which capacity counts as exhausted.
        public var peakUtilizationPercent: Double = 95
    }

    public struct Report: Sendable, Codable, Hashable {
        public var summaryMaxWords: Int = 250
        /// Next review is this many hours after the audit.
        public var reviewIntervalHours: Double = 24
    }

    public var environment = Environment()
    public var reproducibility = Reproducibility()
    public var resources = Resources()
    public var latency = Latency()
    public var regression = Regression()
    public var baseline = Baseline()
    public var capacity = Capacity()
    public var report = Report()

    public init() {}
}
