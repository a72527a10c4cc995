import AssayCore
import Foundation

/// Triton's statistics extension (`GET v2/models/{name}[/versions/{v}]/stats`): per model, cumulative
/// `{count, ns}` for success (the whole request), queue, compute_input, compute_infer and compute_output, with
/// inference and execution counts. Two answers give a window the same way two /metrics scrapes do.
public enum TritonStatistics {
    struct Totals {
        var stages: [String: (count: Double, ns: Double)] = [:]
        var inferences = 0.0
        var executions = 0.0
    }

    static let stageNames: [(key: String, stage: String)] = [
        ("queue", "queue"), ("compute_input", "preprocess"), ("compute_infer", "inference"), ("compute_output", "postprocess"),
        ("success", "total"),
    ]

    static func totals(_ data: Data, model: String?, source: String) throws -> Totals {
        guard let root = JSONValue.parse(data), case .array(let models)? = root["model_stats"] else {
            throw LoadTestError(path: source, line: 0, expected: "a Triton statistics answer: {\"model_stats\": [...]}")
        }
        var totals = Totals()
        var matched = false
        for (index, entry) in models.enumerated() {
            if let model, entry["name"]?.string != model { continue }
            matched = true
            guard let stats = entry["inference_stats"] else {
                throw LoadTestError(path: source, line: 0, expected: "model_stats[\(index)].inference_stats")
            }
            for (key, stage) in stageNames {
                guard let item = stats[key] else { continue }
                guard let count = item["count"]?.number, let ns = item["ns"]?.number else {
                    throw LoadTestError(path: source, line: 0, expected: "model_stats[\(index)].inference_stats.\(key) with count and ns")
                }
                let previous = totals.stages[stage] ?? (0, 0)
                totals.stages[stage] = (previous.count + count, previous.ns + ns)
            }
            totals.inferences += entry["inference_count"]?.number ?? 0
            totals.executions += entry["execution_count"]?.number ?? 0
        }
        if let model, !matched { throw LoadTestError(path: source, line: 0, expected: "statistics of model \(model)") }
        return totals
    }

    /// `before` nil: the figures since the server loaded the model.
    public static func window(before: Data?, after: Data, model: String?, seconds: Double?, source: String = "stats") throws -> ServingWindow {
        let now = try totals(after, model: model, source: source)
        let then = try before.map { try totals($0, model: model, source: source) } ?? Totals()
        var resets: [String] = []
        func delta(_ a: Double, _ b: Double, _ name: String) -> Double {
            if a < b {
                resets.append(name)
                return a
            }
            return a - b
        }
        var stages: [StageWindow] = []
        for (key, stage) in stageNames {
            guard let current = now.stages[stage] else { continue }
            let previous = then.stages[stage] ?? (0, 0)
            let count = delta(current.count, previous.count, key + ".count")
            let ns = delta(current.ns, previous.ns, key + ".ns")
            stages.append(StageWindow(stage: stage, method: .counterDelta, count: count, meanMilliseconds: count > 0 ? ns / count / 1e6 : nil))
        }
        var window = ServingWindow(kind: .triton, model: model, seconds: seconds, stages: stages, resets: [])
        if let seconds, seconds > 0, let total = window.figures("total") { window.throughputRPS = total.count / seconds }
        let executions = delta(now.executions, then.executions, "execution_count")
        if executions > 0 { window.batchSize = delta(now.inferences, then.inferences, "inference_count") / executions }
        window.resets = Array(Set(resets)).sorted()
        return window
    }
}
