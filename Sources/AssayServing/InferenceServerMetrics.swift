import AssayCore
import Foundation

/// The inference servers whose own /metrics Assay reads as a latency source.
public enum InferenceServerKind: String, Sendable, Hashable, CaseIterable, Codable {
    case triton, vllm, torchserve

    /// The label naming the model in this server's series.
    public var modelLabel: String {
        switch self {
        case .triton: "model"
        case .vllm, .torchserve: "model_name"
        }
    }
}

/// How one stage is measured: a cumulative duration counter over a request counter, a histogram, or a summary.
public struct StageSource: Sendable, Hashable {
    public enum Shape: Sendable, Hashable {
        /// Δduration / Δcount; `perRequestCounter` counts the requests the duration accumulates over.
        case counter(duration: String, perRequestCounter: String)
        /// `name_bucket`/`_sum`/`_count`: the mean from Δsum / Δcount and percentiles from Δbuckets.
        case histogram(String)
        /// `name{quantile=…}` as the server computed them (cannot be merged or windowed).
        case summary(String)
    }

    public var stage: String
    public var shape: Shape
    /// Multiplier from the metric's unit to milliseconds.
    public var toMilliseconds: Double

    public init(stage: String, shape: Shape, toMilliseconds: Double) {
        self.stage = stage
        self.shape = shape
        self.toMilliseconds = toMilliseconds
    }

    /// Where each server keeps each stage (Assay's stage names: preprocess, inference, postprocess, queue, total,
    /// and vLLM's ttft and tpot).
    public static func defaults(for kind: InferenceServerKind) -> [StageSource] {
        switch kind {
        case .triton:
            let requests = "nv_inference_request_success"
            return [
                .init(stage: "queue", shape: .counter(duration: "nv_inference_queue_duration_us", perRequestCounter: requests), toMilliseconds: 0.001),
                .init(stage: "preprocess", shape: .counter(duration: "nv_inference_compute_input_duration_us", perRequestCounter: requests), toMilliseconds: 0.001),
                .init(stage: "inference", shape: .counter(duration: "nv_inference_compute_infer_duration_us", perRequestCounter: requests), toMilliseconds: 0.001),
                .init(stage: "postprocess", shape: .counter(duration: "nv_inference_compute_output_duration_us", perRequestCounter: requests), toMilliseconds: 0.001),
                .init(stage: "total", shape: .counter(duration: "nv_inference_request_duration_us", perRequestCounter: requests), toMilliseconds: 0.001),
                .init(stage: "queue", shape: .summary("nv_inference_queue_summary_us"), toMilliseconds: 0.001),
                .init(stage: "preprocess", shape: .summary("nv_inference_compute_input_summary_us"), toMilliseconds: 0.001),
                .init(stage: "inference", shape: .summary("nv_inference_compute_infer_summary_us"), toMilliseconds: 0.001),
                .init(stage: "postprocess", shape: .summary("nv_inference_compute_output_summary_us"), toMilliseconds: 0.001),
                .init(stage: "total", shape: .summary("nv_inference_request_summary_us"), toMilliseconds: 0.001),
            ]
        case .vllm:
            return [
                .init(stage: "queue", shape: .histogram("vllm:request_queue_time_seconds"), toMilliseconds: 1000),
                .init(stage: "ttft", shape: .histogram("vllm:time_to_first_token_seconds"), toMilliseconds: 1000),
                .init(stage: "tpot", shape: .histogram("vllm:time_per_output_token_seconds"), toMilliseconds: 1000),
                .init(stage: "prefill", shape: .histogram("vllm:request_prefill_time_seconds"), toMilliseconds: 1000),
                .init(stage: "decode", shape: .histogram("vllm:request_decode_time_seconds"), toMilliseconds: 1000),
                .init(stage: "total", shape: .histogram("vllm:e2e_request_latency_seconds"), toMilliseconds: 1000),
            ]
        case .torchserve:
            let requests = "ts_inference_requests_total"
            return [
                .init(stage: "queue", shape: .counter(duration: "ts_queue_latency_microseconds", perRequestCounter: requests), toMilliseconds: 0.001),
                .init(stage: "total", shape: .counter(duration: "ts_inference_latency_microseconds", perRequestCounter: requests), toMilliseconds: 0.001),
            ]
        }
    }
}

/// One stage over a window: its mean (from counter or histogram deltas) and percentiles (from histogram buckets,
/// with their bounds, or from a summary, as given).
public struct StageWindow: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable, Codable {
        case counterDelta = "counter delta"
        case histogram
        case summary = "summary (as reported, not windowed)"
    }

    public var stage: String
    public var method: Method
    /// Requests (counter or histogram observations) in the window.
    public var count: Double
    public var meanMilliseconds: Double?
    public var p50: QuantileEstimate?
    public var p95: QuantileEstimate?
    public var p99: QuantileEstimate?
}

/// What two scrapes of one server say about one model: per-stage figures, throughput and batch size.
public struct ServingWindow: Sendable, Hashable {
    public var kind: InferenceServerKind
    public var model: String?
    /// Seconds between the scrapes; nil when only one scrape (figures since the server started).
    public var seconds: Double?
    public var stages: [StageWindow]
    /// Requests per second over the window, from the total stage's count.
    public var throughputRPS: Double?
    /// Inferences per model execution (Triton's dynamic batching), when the server counts both.
    public var batchSize: Double?
    /// Counters that went backwards between the scrapes (a server restart): their delta is the later value.
    public var resets: [String]

    /// Figures of `stage`, merging a counter or histogram row with a summary row of the same stage.
    public func figures(_ stage: String) -> StageWindow? {
        let rows = stages.filter { $0.stage == stage }
        guard var merged = rows.first(where: { $0.method != .summary }) ?? rows.first else { return nil }
        if let summary = rows.first(where: { $0.method == .summary }), merged.method == .counterDelta {
            merged.p50 = merged.p50 ?? summary.p50
            merged.p95 = merged.p95 ?? summary.p95
            merged.p99 = merged.p99 ?? summary.p99
        }
        return merged
    }

    /// The stages present, in the order the sources list them.
    public var stageNames: [String] {
        var seen = Set<String>()
        return stages.map(\.stage).filter { seen.insert($0).inserted }
    }
}

/// Turns scrapes of an inference server into a `ServingWindow`.
public enum InferenceServerMetrics {
    /// `before` nil: the figures since the server started (every counter from zero).
    public static func window(
        kind: InferenceServerKind, model: String?, before: PrometheusExposition?, after: PrometheusExposition, seconds: Double?,
        sources: [StageSource]? = nil
    ) -> ServingWindow {
        let match = model.map { [kind.modelLabel: $0] } ?? [:]
        var resets: [String] = []
        func delta(_ name: String, labels: [String: String] = [:]) -> Double? {
            after.increase(name, matching: match.merging(labels) { $1 }, since: before, resets: &resets)
        }
        var stages: [StageWindow] = []
        for source in sources ?? StageSource.defaults(for: kind) {
            switch source.shape {
            case .counter(let duration, let counter):
                guard let total = delta(duration), let count = delta(counter) else { continue }
                stages.append(
                    StageWindow(
                        stage: source.stage, method: .counterDelta, count: count,
                        meanMilliseconds: count > 0 ? total / count * source.toMilliseconds : nil))
            case .histogram(let name):
                guard let histogram = HistogramWindow(name, matching: match, before: before, after: after, resets: &resets) else { continue }
                let scale = source.toMilliseconds
                stages.append(
                    StageWindow(
                        stage: source.stage, method: .histogram, count: histogram.count,
                        meanMilliseconds: histogram.count > 0 ? histogram.sum / histogram.count * scale : nil,
                        p50: histogram.quantile(0.5, scale: scale), p95: histogram.quantile(0.95, scale: scale),
                        p99: histogram.quantile(0.99, scale: scale)))
            case .summary(let name):
                let quantiles = after.values(name, matching: match)
                guard !quantiles.isEmpty, let count = after.sum(name + "_count", matching: match), count > 0 else { continue }
                func given(_ q: String) -> QuantileEstimate? {
                    quantiles.first { $0.labels["quantile"] == q }.map {
                        let value = $0.value * source.toMilliseconds
                        return QuantileEstimate(value: value, lower: value, upper: value)
                    }
                }
                let sum = after.sum(name + "_sum", matching: match)
                stages.append(
                    StageWindow(
                        stage: source.stage, method: .summary, count: count, meanMilliseconds: sum.map { $0 / count * source.toMilliseconds },
                        p50: given("0.5"), p95: given("0.95"), p99: given("0.99")))
            }
        }
        var window = ServingWindow(kind: kind, model: model, seconds: seconds, stages: stages, resets: [])
        if let seconds, seconds > 0, let total = window.figures("total") { window.throughputRPS = total.count / seconds }
        if kind == .triton, let inferences = delta("nv_inference_count"), let executions = delta("nv_inference_exec_count"), executions > 0 {
            window.batchSize = inferences / executions
        }
        window.resets = Array(Set(resets)).sorted()
        return window
    }
}

extension InferenceServerMetrics {
    /// A window from one or two raw captures, as read from a file or an endpoint: Prometheus text from any
    /// server's /metrics, or JSON from Triton's statistics endpoint. `overrides` maps a stage to the metric family
    /// that measures it; the family's `# TYPE` in the capture says how to read it. Returns what was read ("/metrics"
    /// or "statistics") with the window.
    public static func window(
        kind: InferenceServerKind, model: String?, captures: [Data], seconds: Double?, overrides: [String: String] = [:], source: String
    ) throws -> (window: ServingWindow, origin: String) {
        guard let last = captures.last else { throw InputError(path: source, line: 0, expected: "a capture") }
        let before = captures.count > 1 ? captures[captures.count - 2] : nil
        let span = captures.count > 1 ? seconds : nil
        if kind == .triton, captures.allSatisfy({ $0.first(where: { $0 > 0x20 }) == UInt8(ascii: "{") }) {
            return (try TritonStatistics.window(before: before, after: last, model: model, seconds: span, source: source), "statistics")
        }
        let after = try PrometheusExposition(String(decoding: last, as: UTF8.self), source: source)
        let previous = try before.map { try PrometheusExposition(String(decoding: $0, as: UTF8.self), source: source) }
        let sources = StageSource.sources(for: kind, overriding: overrides, types: after.types)
        return (window(kind: kind, model: model, before: previous, after: after, seconds: span, sources: sources), "/metrics")
    }
}

extension StageSource {
    /// The kind's defaults, with each overridden stage read from the given family: as a histogram or a summary when
    /// the capture types it so, else as a duration counter over the kind's request counter. The unit follows the
    /// family's suffix (`_us`/`_microseconds`, `_seconds`, else milliseconds).
    public static func sources(for kind: InferenceServerKind, overriding overrides: [String: String], types: [String: String]) -> [StageSource] {
        let defaults = defaults(for: kind)
        var sources = defaults
        let counter = defaults.compactMap { if case .counter(_, let requests) = $0.shape { requests } else { nil } }.first
        for (stage, family) in overrides.sorted(by: { $0.key < $1.key }) {
            sources.removeAll { $0.stage == stage }
            let unit = family.hasSuffix("_us") || family.hasSuffix("_microseconds") ? 0.001 : (family.hasSuffix("_seconds") ? 1000 : 1)
            switch types[family] {
            case "histogram": sources.append(StageSource(stage: stage, shape: .histogram(family), toMilliseconds: unit))
            case "summary": sources.append(StageSource(stage: stage, shape: .summary(family), toMilliseconds: unit))
            default:
                if let counter { sources.append(StageSource(stage: stage, shape: .counter(duration: family, perRequestCounter: counter), toMilliseconds: unit)) }
            }
        }
        return sources
    }
}
