import AssayCore
import Foundation

/// Spans of the pipeline's work, written as a Chrome trace (the format torch.profiler exports): complete
/// `X` events with microsecond `ts`/`dur`, stages as `user_annotation`, operations as `cpu_op`.
public struct SpanRecorder: Sendable {
    struct Span: Sendable {
        var name: String
        var category: String
        var start: ContinuousClock.Instant
        var end: ContinuousClock.Instant
    }

    private var spans: [Span] = []
    private let origin: ContinuousClock.Instant

    public init(origin: ContinuousClock.Instant = ContinuousClock().now) {
        self.origin = origin
    }

    mutating func add(_ name: String, category: String, from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) {
        spans.append(Span(name: name, category: category, start: start, end: end))
    }

    public var count: Int { spans.count }

    /// `{"traceEvents": [...]}` with one lane (pid 1, tid 1) and its process and thread names.
    public func chromeTrace(processName: String = "assay-example") -> String {
        func microseconds(_ instant: ContinuousClock.Instant) -> Double {
            let (seconds, attoseconds) = (instant - origin).components
            return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
        }
        var lines = [
            #"{"ph": "M", "name": "process_name", "pid": 1, "tid": 1, "ts": 0, "args": {"name": "\#(processName)"}}"#,
            #"{"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "ts": 0, "args": {"name": "batch"}}"#,
        ]
        for span in spans {
            let start = microseconds(span.start)
            let duration = max(0, microseconds(span.end) - start)
            let times = String(format: "\"ts\": %.3f, \"dur\": %.3f", start, duration)
            lines.append(#"{"ph": "X", "cat": "\#(span.category)", "name": "\#(span.name)", "pid": 1, "tid": 1, \#(times)}"#)
        }
        return "{\"traceEvents\": [\n" + lines.joined(separator: ",\n") + "\n], \"displayTimeUnit\": \"ms\"}\n"
    }
}
