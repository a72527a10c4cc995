import AssayCore
import Foundation

/// One series of a Prometheus range query: its labels and (time, value) points; NaN and ±Inf samples are dropped.
public struct PrometheusSeries: Sendable, Hashable {
    public var labels: [String: String]
    public var points: [(time: Date, value: Double)]

    public static func == (a: PrometheusSeries, b: PrometheusSeries) -> Bool {
        a.labels == b.labels && a.points.map(\.value) == b.points.map(\.value) && a.points.map(\.time) == b.points.map(\.time)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(labels) }

    /// The `instance` label, else all labels as text.
    public var host: String { labels["instance"] ?? labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }

    /// Reads a `/api/v1/query_range` answer (`resultType: matrix`) or a `/api/v1/query` answer (`resultType: vector`,
    /// one point per series); anything else is an error naming the source.
    public static func parse(_ data: Data, source: String) throws -> [PrometheusSeries] {
        guard let root = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw TelemetryLogError(path: source, line: 0, expected: "a Prometheus API answer (JSON)")
        }
        guard root["status"]?.string == "success" else {
            throw TelemetryLogError(path: source, line: 0, expected: "status success (got \(root["error"]?.string ?? root["status"]?.rendered ?? "nothing"))")
        }
        let type = root["data"]?["resultType"]?.string
        guard type == "matrix" || type == "vector", case .array(let results)? = root["data"]?["result"] else {
            throw TelemetryLogError(path: source, line: 0, expected: "a query answer (resultType matrix or vector)")
        }
        return results.map { result in
            var labels: [String: String] = [:]
            if case .object(let metric)? = result["metric"] {
                for (key, value) in metric { if let text = value.string { labels[key] = text } }
            }
            var points: [(Date, Double)] = []
            if case .array(let pair)? = result["value"], pair.count == 2, let seconds = pair[0].number,
                let value = pair[1].string.flatMap(Double.init), value.isFinite
            {
                points.append((Date(timeIntervalSince1970: seconds), value))
            }
            if case .array(let values)? = result["values"] {
                for case .array(let pair) in values where pair.count == 2 {
                    guard let seconds = pair[0].number, let value = pair[1].string.flatMap(Double.init), value.isFinite else { continue }
                    points.append((Date(timeIntervalSince1970: seconds), value))
                }
            }
            return PrometheusSeries(labels: labels, points: points)
        }
    }

    /// The 95th percentile of the values (type 7); nil without values.
    public var p95: Double? { Quantile.type7(sorted: points.map(\.value).sorted(), 0.95) }
}
