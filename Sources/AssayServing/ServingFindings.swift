import AssayCore
import Foundation

/// LATENCY PROFILE rows from an inference server's own metrics and from load-test results, citing the captures.
public enum ServingFindings {
    /// One row per stage. `prefix` names the server in the check (when request logs give the plain stage rows).
    /// `origin` names what was read: the server's "/metrics", or Triton's "statistics" endpoint.
    public static func rows(
        _ window: ServingWindow, evidence: Evidence, additional: [Evidence] = [], prefix: Bool, origin: String = "/metrics"
    ) -> [Finding] {
        let server = ["triton": "Triton", "vllm": "vLLM", "torchserve": "TorchServe"][window.kind.rawValue] ?? window.kind.rawValue
        var rows: [Finding] = []
        for stage in window.stageNames {
            guard let figures = window.figures(stage) else { continue }
            let name = stage.count <= 4 ? stage.uppercased() : stage.prefix(1).uppercased() + stage.dropFirst()
            var measurements: [String: Double] = ["requests": figures.count]
            var parts: [String] = []
            let span = window.seconds.map { "over \(Formatting.number($0, digits: 0)) s" } ?? "since the server started"
            if let mean = figures.meanMilliseconds {
                measurements["mean_ms"] = mean
                let how = figures.method == .summary ? "from the summary's sum and count" : "Δ\(figures.method == .histogram ? "sum" : "duration") / Δcount"
                parts.append("mean \(Formatting.milliseconds(mean)) ms (\(how), \(Formatting.number(figures.count, digits: 0)) requests \(span))")
            }
            for (key, label, estimate) in [("p95_ms", "P95", figures.p95), ("p99_ms", "P99", figures.p99)] {
                guard let estimate else { continue }
                measurements[key] = estimate.value
                if figures.method == .histogram {
                    measurements[key.replacingOccurrences(of: "_ms", with: "_error_ms")] = estimate.maxError
                    let bound = estimate.upper.isFinite
                        ? "within \(Formatting.milliseconds(estimate.lower))–\(Formatting.milliseconds(estimate.upper)) ms"
                        : "above \(Formatting.milliseconds(estimate.lower)) ms (the +Inf bucket)"
                    parts.append("\(label) \(Formatting.milliseconds(estimate.value)) ms (histogram, \(bound))")
                } else {
                    parts.append("\(label) \(Formatting.milliseconds(estimate.value)) ms (summary, as the server computed it)")
                }
            }
            if stage == "total", let rate = window.throughputRPS {
                measurements["throughput_rps"] = rate
                parts.append("\(Formatting.number(rate, digits: 1)) req/s")
            }
            if stage == "total", let batch = window.batchSize {
                measurements["batch_size"] = batch
                parts.append("batch size \(Formatting.number(batch, digits: 2))")
            }
            let percentilesFromSummary = figures.method == .counterDelta && (figures.p95 != nil || figures.p99 != nil)
            var attributes = [
                "source": "\(server) \(origin) (\(figures.method.rawValue)\(percentilesFromSummary ? "; percentiles from its summary" : ""))"
            ]
            if !window.resets.isEmpty { attributes["counter_resets"] = window.resets.joined(separator: ", ") }
            rows.append(
                Finding(
                    table: .latencyProfile, check: prefix ? "\(server) \(stage)" : name, status: figures.count > 0 ? .pass : .unverified,
                    observed: parts.isEmpty ? "no requests \(span)" : parts.joined(separator: "; "), expected: nil, severity: .info,
                    measurements: measurements, attributes: attributes, statusLabel: figures.count > 0 ? "📊 Measured" : "⚠️ No traffic",
                    evidence: evidence, additional))
        }
        return rows
    }

    /// The load test's peak step as one row (every step's figures are in the measurements of the stored run).
    public static func row(_ result: LoadTestResult, evidence: Evidence) -> Finding? {
        guard let peak = result.peak else { return nil }
        var measurements: [String: Double] = ["throughput_rps": peak.throughputRPS]
        var parts = ["peak \(Formatting.number(peak.throughputRPS, digits: 1)) req/s at \(peak.load)"]
        for (key, label, value) in [("mean_ms", "mean", peak.meanMs), ("p50_ms", "P50", peak.p50Ms), ("p95_ms", "P95", peak.p95Ms), ("p99_ms", "P99", peak.p99Ms)] {
            guard let value else { continue }
            measurements[key] = value
            parts.append("\(label) \(Formatting.milliseconds(value)) ms")
        }
        if let failures = peak.failures, failures > 0 { parts.append("\(failures) failures") }
        return Finding(
            table: .latencyProfile, check: "Load test", status: .pass, observed: parts.joined(separator: ", "), severity: .info,
            measurements: measurements, attributes: ["source": "\(result.tool.rawValue), \(result.steps.count) load level(s)"],
            statusLabel: "📊 Measured", evidence: evidence, [])
    }
}
