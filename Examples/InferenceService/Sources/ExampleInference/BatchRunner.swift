import AssayCore
import Foundation

/// Runs every request of a file through the pipeline and writes predictions.jsonl and latency.jsonl.
public struct BatchRunner: Sendable {
    public var pipeline: Pipeline

    public init(pipeline: Pipeline) {
        self.pipeline = pipeline
    }

    /// Writes `predictions.jsonl` and `latency.jsonl` into `directory`, atomically; returns the latency records.
    @discardableResult
    public func run(requests: [InferenceRequest], outputDirectory directory: String) throws -> [LatencyRecord] {
        var predictions: [Prediction] = []
        var latencies: [LatencyRecord] = []
        for request in requests {
            let (prediction, latency) = try pipeline.process(request)
            predictions.append(prediction)
            latencies.append(latency)
        }
        let encoder = JSONCoding.encoder()
        let predictionLines = try predictions.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
        let latencyLines = try latencies.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
        try AtomicFile.write(Array(predictionLines.utf8), to: directory + "/predictions.jsonl")
        try AtomicFile.write(Array(latencyLines.utf8), to: directory + "/latency.jsonl")
        return latencies
    }
}
