import AssayCore
import Foundation

/// Runs every request of a file through the pipeline and writes predictions.jsonl and latency.jsonl.
public struct BatchRunner: Sendable {
    public var pipeline: Pipeline

    public init(pipeline: Pipeline) {
        self.pipeline = pipeline
    }

    /// Writes `predictions.jsonl` and `latency.jsonl` into `directory`, atomically; returns the latency records.
    /// With `traceRequests` > 0, the first that many requests are also traced to `trace.json` (Chrome format).
    @discardableResult
    public func run(requests: [InferenceRequest], outputDirectory directory: String, traceRequests: Int = 0) throws -> [LatencyRecord] {
        var predictions: [Prediction] = []
        var latencies: [LatencyRecord] = []
        var recorder: SpanRecorder? = traceRequests > 0 ? SpanRecorder() : nil
        for (index, request) in requests.enumerated() {
            var spans = index < traceRequests ? recorder : nil
            let (prediction, latency) = try pipeline.process(request, spans: &spans)
            if index < traceRequests { recorder = spans }
            predictions.append(prediction)
            latencies.append(latency)
        }
        if let recorder {
            try AtomicFile.write(Array(recorder.chromeTrace().utf8), to: directory + "/trace.json")
        }
        let encoder = JSONCoding.encoder()
        let predictionLines = try predictions.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
        let latencyLines = try latencies.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
        try AtomicFile.write(Array(predictionLines.utf8), to: directory + "/predictions.jsonl")
        try AtomicFile.write(Array(latencyLines.utf8), to: directory + "/latency.jsonl")
        return latencies
    }
}
