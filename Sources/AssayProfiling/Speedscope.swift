import AssayCore
import Foundation

/// Exports a trace as a speedscope file (https://www.speedscope.app/file-format-schema.json): one "evented"
/// profile per lane, frames shared, times in microseconds. A child that outlives its parent is cut at the
/// parent's end, so every frame closes in the order speedscope requires.
public enum SpeedscopeExport {
    public static func json(lanes: [TraceLane], name: String) -> String {
        var frameIndex: [String: Int] = [:]
        var frameNames: [String] = []
        func frame(_ name: String) -> Int {
            if let known = frameIndex[name] { return known }
            frameIndex[name] = frameNames.count
            frameNames.append(name)
            return frameNames.count - 1
        }
        var profiles: [String] = []
        for lane in lanes where !lane.spans.isEmpty {
            var events: [String] = []
            var stack: [(frame: Int, end: Double)] = []
            func close(until time: Double?) {
                while let top = stack.last, time.map({ top.end <= $0 }) ?? true {
                    events.append("{\"type\":\"C\",\"frame\":\(top.frame),\"at\":\(number(top.end))}")
                    stack.removeLast()
                }
            }
            for span in lane.spans {
                close(until: span.timestamp)
                let end = min(span.end, stack.last?.end ?? span.end)
                let index = frame(span.name)
                events.append("{\"type\":\"O\",\"frame\":\(index),\"at\":\(number(span.timestamp))}")
                stack.append((index, end))
            }
            close(until: nil)
            let start = lane.spans[0].timestamp
            let end = lane.spans.map(\.end).max() ?? start
            profiles.append(
                "{\"type\":\"evented\",\"name\":\(quoted(lane.name)),\"unit\":\"microseconds\",\"startValue\":\(number(start)),"
                    + "\"endValue\":\(number(end)),\"events\":[\(events.joined(separator: ","))]}")
        }
        let frames = frameNames.map { "{\"name\":\(quoted($0))}" }.joined(separator: ",")
        return "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"exporter\":\"assay\","
            + "\"name\":\(quoted(name)),\"activeProfileIndex\":0,\"shared\":{\"frames\":[\(frames)]},"
            + "\"profiles\":[\(profiles.joined(separator: ","))]}\n"
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static func quoted(_ text: String) -> String {
        TextEscaping.jsonString(text)
    }
}
