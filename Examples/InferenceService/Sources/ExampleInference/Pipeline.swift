import AssayCore
import Foundation

/// The three stages of a request, in order.
public enum Stage: String, CaseIterable, Sendable, Codable {
    case preprocess, inference, postprocess
}

/// A prediction, as written to predictions.jsonl and returned over HTTP.
public struct Prediction: Codable, Sendable, Hashable {
    public var id: String
    public var label: String
    public var probabilities: [String: Double]
    /// Spread of the winning class's probability across the stochastic passes.
    public var uncertainty: Double
}

/// One line of latency.jsonl: per-request, per-stage wall time in milliseconds.
public struct LatencyRecord: Codable, Sendable, Hashable {
    public var requestID: String
    public var startedAt: Date
    public var preprocessMs: Double
    public var inferenceMs: Double
    public var postprocessMs: Double
    public var totalMs: Double

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case startedAt = "started_at"
        case preprocessMs = "preprocess_ms"
        case inferenceMs = "inference_ms"
        case postprocessMs = "postprocess_ms"
        case totalMs = "total_ms"
    }
}

/// Errors a request can fail with.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    case wrongFeatureCount(id: String, expected: Int, got: Int)
    case nonFiniteFeature(id: String, index: Int)

    public var description: String {
        switch self {
        case .wrongFeatureCount(let id, let expected, let got): "request \(id): expected \(expected) features, got \(got)"
        case .nonFiniteFeature(let id, let index): "request \(id): feature \(index) is not a finite number"
        }
    }
}

/// Preprocess → inference → postprocess for one request. Test-time augmentation and Monte-Carlo dropout
/// make inference stochastic; a per-request generator seeded from (seed, request id) makes it repeatable.
public struct Pipeline: Sendable {
    public struct Options: Sendable, Hashable {
        /// Seed of the per-request generators.
        public var seed: UInt64 = 42
        /// Draw per-request seeds from the system generator: outputs differ run to run.
        public var nondeterministic = false
        /// Stochastic passes per request.
        public var passes = 16
        /// Noise added to standardized features for test-time augmentation.
        public var augmentationNoise = 0.05
        public var keepProbability = 0.9
        /// Extra busy work added to a stage, in milliseconds, to make it slower.
        public var slowdownMilliseconds: [Stage: Double] = [:]

        public init() {}
    }

    public var model: Model
    public var options: Options

    public init(model: Model, options: Options = Options()) {
        self.model = model
        self.options = options
    }

    /// Runs one request; returns the prediction and its stage timings.
    public func process(_ request: InferenceRequest, clock: ContinuousClock = ContinuousClock()) throws -> (Prediction, LatencyRecord) {
        var ignored: SpanRecorder?
        return try process(request, clock: clock, spans: &ignored)
    }

    /// Runs one request and, when `spans` is given, records the request, its stages and the operations inside
    /// them (standardize, augment, one dropout mask and MLP forward per pass, average, uncertainty).
    public func process(
        _ request: InferenceRequest, clock: ContinuousClock = ContinuousClock(), spans: inout SpanRecorder?
    ) throws -> (Prediction, LatencyRecord) {
        let startedAt = Date()
        let t0 = clock.now
        guard request.features.count == model.inputSize else {
            throw PipelineError.wrongFeatureCount(id: request.id, expected: model.inputSize, got: request.features.count)
        }
        if let bad = request.features.firstIndex(where: { !$0.isFinite }) {
            throw PipelineError.nonFiniteFeature(id: request.id, index: bad)
        }
        var rng = SplitMix64(
            seed: options.nondeterministic ? UInt64.random(in: 0...UInt64.max) : options.seed ^ SplitMix64.fnv1a(request.id))
        let x = model.standardize(request.features)
        let standardized = clock.now
        let augmented = (0..<options.passes).map { _ in x.map { $0 + rng.nextGaussian() * options.augmentationNoise } }
        spans?.add("standardize", category: "cpu_op", from: t0, to: standardized)
        spans?.add("augment", category: "cpu_op", from: standardized, to: clock.now)
        spin(.preprocess, since: t0, clock: clock)
        let t1 = clock.now

        var sums = [Double](repeating: 0, count: model.labels.count)
        var winners: [[Double]] = []
        for input in augmented {
            let passStart = clock.now
            let mask = (0..<model.hiddenSize).map { _ in rng.nextUnit() < options.keepProbability }
            let masked = clock.now
            let p = model.probabilities(standardized: input, keep: mask, keepProbability: options.keepProbability)
            spans?.add("dropout_mask", category: "cpu_op", from: passStart, to: masked)
            spans?.add("mlp_forward", category: "cpu_op", from: masked, to: clock.now)
            for c in sums.indices { sums[c] += p[c] }
            winners.append(p)
        }
        spin(.inference, since: t1, clock: clock)
        let t2 = clock.now

        let mean = sums.map { $0 / Double(options.passes) }
        let best = mean.indices.max { mean[$0] < mean[$1] } ?? 0
        let averaged = clock.now
        let spread = winners.map { ($0[best] - mean[best]) * ($0[best] - mean[best]) }.reduce(0, +) / Double(options.passes)
        spans?.add("average", category: "cpu_op", from: t2, to: averaged)
        spans?.add("uncertainty", category: "cpu_op", from: averaged, to: clock.now)
        var probabilities: [String: Double] = [:]
        for (c, label) in model.labels.enumerated() { probabilities[label] = Pipeline.round(mean[c]) }
        let prediction = Prediction(
            id: request.id, label: model.labels[best], probabilities: probabilities,
            uncertainty: Pipeline.round(spread.squareRoot()))
        spin(.postprocess, since: t2, clock: clock)
        let t3 = clock.now
        spans?.add("request", category: "user_annotation", from: t0, to: t3)
        spans?.add("preprocess", category: "user_annotation", from: t0, to: t1)
        spans?.add("inference", category: "user_annotation", from: t1, to: t2)
        spans?.add("postprocess", category: "user_annotation", from: t2, to: t3)

        let record = LatencyRecord(
            requestID: request.id, startedAt: startedAt,
            preprocessMs: Pipeline.milliseconds(t1 - t0), inferenceMs: Pipeline.milliseconds(t2 - t1),
            postprocessMs: Pipeline.milliseconds(t3 - t2), totalMs: Pipeline.milliseconds(t3 - t0))
        return (prediction, record)
    }

    /// Busy-waits until the stage has taken at least its configured extra time.
    func spin(_ stage: Stage, since start: ContinuousClock.Instant, clock: ContinuousClock) {
        guard let extra = options.slowdownMilliseconds[stage], extra > 0 else { return }
        let deadline = clock.now.advanced(by: .microseconds(Int64(extra * 1000)))
        var sink = 0.0
        while clock.now < deadline { sink += 1 }
        _ = sink
    }

    static func round(_ value: Double) -> Double {
        (value * 1e9).rounded() / 1e9
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return (Double(seconds) * 1e3 + Double(attoseconds) / 1e15).rounded(toPlaces: 4)
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
