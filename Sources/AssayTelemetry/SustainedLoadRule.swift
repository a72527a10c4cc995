import Foundation

/// Sustained load as Prometheus alerting rules judge it: above `threshold` it is pending at once and firing
/// once it has stayed above for `forSeconds`; firing, it clears only when the value falls below
/// `clearThreshold` (hysteresis) and has stayed below for `keepFiringSeconds`.
public struct SustainedLoadRule: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable { case inactive, pending, firing }

    public var threshold: Double
    public var clearThreshold: Double
    public var forSeconds: Double
    public var keepFiringSeconds: Double
    public private(set) var state: State = .inactive
    public private(set) var since: Date?
    private var lastAboveClear: Date?

    public init(threshold: Double, clearThreshold: Double, forSeconds: Double, keepFiringSeconds: Double = 0) {
        self.threshold = threshold
        self.clearThreshold = min(clearThreshold, threshold)
        self.forSeconds = forSeconds
        self.keepFiringSeconds = keepFiringSeconds
    }

    /// Advances the rule by one reading; returns the new state when it changed.
    @discardableResult
    public mutating func observe(_ value: Double, at now: Date) -> State? {
        let before = state
        switch state {
        case .inactive:
            if value > threshold {
                state = .pending
                since = now
            }
        case .pending:
            if value <= threshold {
                state = .inactive
                since = nil
            } else if now.timeIntervalSince(since ?? now) >= forSeconds {
                state = .firing
                lastAboveClear = now
            }
        case .firing:
            if value >= clearThreshold {
                lastAboveClear = now
            } else if now.timeIntervalSince(lastAboveClear ?? now) >= keepFiringSeconds {
                state = .inactive
                since = nil
            }
        }
        if state == .pending, before == .inactive, forSeconds <= 0 {
            state = .firing
            lastAboveClear = now
        }
        return state == before ? nil : state
    }
}
