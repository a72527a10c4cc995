import AssayCore
import Foundation

/// Latency of one evaluation window.
public struct WindowStats: Sendable, Hashable, Codable {
    public var count: Int
    public var mean: Double?
    /// nil below `minimumForP95` samples.
    public var p95: Double?
    public var throughput: Double

    public init(count: Int, mean: Double?, p95: Double?, throughput: Double) {
        self.count = count
        self.mean = mean
        self.p95 = p95
        self.throughput = throughput
    }

    /// Statistics of total latencies (ms) seen during `seconds`; P95 (type 7) from `minimumForP95` samples.
    public init(totals: [Double], seconds: Double, minimumForP95: Int = 20) {
        count = totals.count
        mean = totals.isEmpty ? nil : totals.reduce(0, +) / Double(totals.count)
        p95 = totals.count >= minimumForP95 ? Quantile.type7(sorted: totals.sorted(), 0.95) : nil
        throughput = seconds > 0 ? Double(totals.count) / seconds : 0
    }
}

/// What the live windows are held against.
public struct WatchBaseline: Sendable, Hashable, Codable {
    public var p95: Double?
    public var mean: Double?
    public var throughput: Double?

    public init(p95: Double?, mean: Double?, throughput: Double?) {
        self.p95 = p95
        self.mean = mean
        self.throughput = throughput
    }
}

/// One rule's alert: inactive, pending (breached, not yet for long enough) or firing.
public struct AlertState: Sendable, Hashable, Codable {
    public enum Phase: String, Sendable, Hashable, Codable { case inactive, pending, firing }

    public var phase: Phase = .inactive
    /// When the current breach began.
    public var since: Date?
    public var firingSince: Date?
    public var lastValue: Double?

    public init() {}
}

/// A change of an alert's phase, or a firing alert re-sent.
public struct AlertEvent: Sendable, Hashable {
    public enum Kind: String, Sendable { case pending, firing, stillFiring = "still_firing", resolved, cleared }

    public var rule: String
    public var kind: Kind
    public var value: Double
    public var limit: Double
    public var since: Date
    public var at: Date
    /// "P95 12.3 ms > 9.8 ms (baseline 4.8 ms + 5 ms)".
    public var condition: String

    public init(rule: String, kind: Kind, value: Double, limit: Double, since: Date, at: Date, condition: String) {
        self.rule = rule
        self.kind = kind
        self.value = value
        self.limit = limit
        self.since = since
        self.at = at
        self.condition = condition
    }
}

/// Evaluates the regression rules window after window. A breach is pending at once and escalates to firing when
/// it has held for `regression.escalate_after_seconds`, judged at the first evaluation after that; a firing
/// alert resolves at the first window within bounds. The state is Codable so it survives restarts.
public struct RegressionWatch: Sendable {
    public var thresholds: Thresholds
    public var baseline: WatchBaseline
    public var states: [String: AlertState]

    public init(thresholds: Thresholds, baseline: WatchBaseline, states: [String: AlertState] = [:]) {
        self.thresholds = thresholds
        self.baseline = baseline
        self.states = states
    }

    /// The rules that apply to a window: name, value, limit, breached, condition text.
    func rules(_ window: WindowStats) -> [(String, Double, Double, Bool, String)] {
        let r = thresholds.regression
        var rules: [(String, Double, Double, Bool, String)] = []
        if let base = baseline.p95, let value = window.p95 {
            let limit = base + r.p95OverBaselineMilliseconds
            rules.append(("p95_over_baseline", value, limit, value > limit,
                "P95 \(Formatting.milliseconds(value)) ms > \(Formatting.milliseconds(limit)) ms (baseline \(Formatting.milliseconds(base)) ms + \(Formatting.milliseconds(r.p95OverBaselineMilliseconds)) ms)"))
        }
        if let base = baseline.mean, let value = window.mean {
            let limit = max(base * (1 + r.meanIncreasePercent / 100), base + r.minDeltaMilliseconds)
            rules.append(("mean_increase", value, limit, value > limit,
                "mean \(Formatting.milliseconds(value)) ms > \(Formatting.milliseconds(limit)) ms (baseline \(Formatting.milliseconds(base)) ms + \(Formatting.percent(r.meanIncreasePercent, digits: 0)))"))
        }
        if let base = baseline.throughput, window.count > 0 {
            let limit = base - r.throughputDropRequestsPerSecond
            rules.append(("throughput_drop", window.throughput, limit, window.throughput < limit,
                "throughput \(Formatting.number(window.throughput, digits: 1)) req/s < \(Formatting.number(limit, digits: 1)) req/s (baseline \(Formatting.number(base, digits: 1)) − \(Formatting.number(r.throughputDropRequestsPerSecond, digits: 0)))"))
        }
        return rules
    }

    /// Advances every rule by one window observed at `now`.
    public mutating func evaluate(_ window: WindowStats, at now: Date) -> [AlertEvent] {
        var events: [AlertEvent] = []
        let sustain = thresholds.regression.escalateAfterSeconds
        for (name, value, limit, breached, condition) in rules(window) {
            var state = states[name] ?? AlertState()
            state.lastValue = value
            func event(_ kind: AlertEvent.Kind) -> AlertEvent {
                AlertEvent(rule: name, kind: kind, value: value, limit: limit, since: state.since ?? now, at: now, condition: condition)
            }
            switch (state.phase, breached) {
            case (.inactive, true):
                state.phase = .pending
                state.since = now
                events.append(event(.pending))
                if sustain <= 0 {
                    state.phase = .firing
                    state.firingSince = now
                    events.append(event(.firing))
                }
            case (.pending, true):
                if now.timeIntervalSince(state.since ?? now) >= sustain {
                    state.phase = .firing
                    state.firingSince = now
                    events.append(event(.firing))
                }
            case (.firing, true):
                events.append(event(.stillFiring))
            case (.pending, false):
                events.append(event(.cleared))
                state = AlertState()
            case (.firing, false):
                events.append(event(.resolved))
                state = AlertState()
            case (.inactive, false):
                break
            }
            states[name] = state
        }
        return events
    }
}
