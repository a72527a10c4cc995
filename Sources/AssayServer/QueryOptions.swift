import Foundation
import Hummingbird

/// Query parameters, read once into typed, finite, bounded values: anything else is a 400 naming the parameter.
/// Chart windows are snapped up to a few fixed ones, so a reader cannot make every request a cache miss.
enum QueryOptions {
    /// The windows charts are computed for, in days (metric series) and hours (resource samples).
    static let dayWindows: [Double] = [1, 7, 30, 90, 366]
    static let hourWindows: [Double] = [1, 6, 24, 24 * 7, 24 * 31]

    /// A whole number in `range` (clamped), or `fallback` when absent.
    static func integer(_ request: Request, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text) else { throw APIError(.badRequest, "query parameter \(name): expected a whole number, got '\(clip(text))'") }
        return min(max(value, range.lowerBound), range.upperBound)
    }

    /// A finite positive number, snapped up to the smallest of `windows` that holds it (the largest when none does).
    static func window(_ request: Request, _ name: String, default fallback: Double, windows: [Double]) throws -> Double {
        guard let text = request.uri.queryParameters.get(name) else { return snap(fallback, to: windows) }
        guard let value = Double(text), value.isFinite, value > 0 else {
            throw APIError(.badRequest, "query parameter \(name): expected a finite number above 0, got '\(clip(text))'")
        }
        return snap(value, to: windows)
    }

    /// One of `allowed`, or `fallback` when absent.
    static func choice(_ request: Request, _ name: String, default fallback: String, allowed: [String]) throws -> String {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard allowed.contains(text) else {
            throw APIError(.badRequest, "query parameter \(name): expected one of \(allowed.joined(separator: ", ")), got '\(clip(text))'")
        }
        return text
    }

    static func snap(_ value: Double, to windows: [Double]) -> Double {
        windows.first { $0 >= value } ?? windows[windows.count - 1]
    }

    /// At most 64 characters of client text, for an error message.
    static func clip(_ text: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.filter { !IngestValidation.isControl($0) }))
        return cleaned.count > 64 ? String(cleaned.prefix(64)) + "…" : cleaned
    }
}

extension Parameters {
    /// A path parameter, percent-decoded: `latency.total%20p95` is the metric `latency.total p95`.
    func decoded(_ name: String) throws -> String {
        let raw = try require(name)
        guard let text = raw.removingPercentEncoding else { throw APIError(.badRequest, "path: \(name) is not valid percent-encoded UTF-8") }
        return text
    }
}
