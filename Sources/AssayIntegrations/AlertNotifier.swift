import AssayBaseline
import AssayCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An alert that could not be delivered.
public struct AlertDeliveryError: Error, Sendable, CustomStringConvertible, Equatable {
    public var url: String
    public var reason: String

    public var description: String { "\(url): alert not delivered: \(reason)" }
}

/// Sends `assay watch` alerts to Alertmanager (API v2) and to generic JSON webhooks. Alertmanager gets every
/// firing alert at each evaluation (it deduplicates by labels and groups notifications; re-sending keeps an
/// alert from expiring) and `endsAt` when it resolves; webhooks get only the changes, firing and resolved, one
/// POST per evaluation: `{"status", "service", "alerts": [{"status", "rule", "value", "limit", "condition", …}]}`.
public struct AlertNotifier: Sendable {
    public var alertmanagerURL: String?
    public var webhooks: [String]
    public var service: String
    public var timeout: TimeAmount = .seconds(10)
    /// The `alertname` label Alertmanager groups by.
    public var alertName = "AssayLatencyRegression"

    public init(alertmanagerURL: String?, webhooks: [String], service: String) {
        self.alertmanagerURL = alertmanagerURL
        self.webhooks = webhooks
        self.service = service
    }

    /// Delivers the events that call for it; returns how many requests were sent.
    @discardableResult
    public func deliver(_ events: [AlertEvent]) async throws -> Int {
        var sent = 0
        let forAlertmanager = events.filter { $0.kind == .firing || $0.kind == .stillFiring || $0.kind == .resolved }
        if let alertmanagerURL, !forAlertmanager.isEmpty {
            try await post(alertmanagerURL + "/api/v2/alerts", forAlertmanager.map(alertmanagerAlert))
            sent += 1
        }
        // Webhooks: one POST per evaluation that changed something, grouping its alerts.
        let changes = events.filter { $0.kind == .firing || $0.kind == .resolved }
        if !changes.isEmpty {
            let body: [String: Any] = [
                "status": changes.contains { $0.kind == .firing } ? "firing" : "resolved", "service": service,
                "alerts": changes.map(webhookAlert),
            ]
            for webhook in webhooks {
                try await post(webhook, body)
                sent += 1
            }
        }
        return sent
    }

    func alertmanagerAlert(_ event: AlertEvent) -> [String: Any] {
        var alert: [String: Any] = [
            "labels": [
                "alertname": alertName, "service": service, "rule": event.rule,
                "severity": "critical",
            ],
            "annotations": [
                "summary": "\(service): \(event.condition)",
                "description": "Sustained since \(Self.iso(event.since)); Assay regression rule \(event.rule).",
            ],
            "startsAt": Self.iso(event.since),
            "generatorURL": "https://assay.invalid/watch/\(service)",
        ]
        if event.kind == .resolved { alert["endsAt"] = Self.iso(event.at) }
        return alert
    }

    func webhookAlert(_ event: AlertEvent) -> [String: Any] {
        [
            "status": event.kind == .resolved ? "resolved" : "firing", "rule": event.rule,
            "value": event.value, "limit": event.limit, "condition": event.condition, "since": Self.iso(event.since),
            "at": Self.iso(event.at),
        ]
    }

    func post(_ url: String, _ json: Any) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])))
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.assay.execute(request, timeout: timeout)
        } catch {
            throw AlertDeliveryError(url: url, reason: "\(error)")
        }
        let body = try await response.body.collect(upTo: 1 << 16)
        guard (200..<300).contains(response.status.code) else {
            throw AlertDeliveryError(url: url, reason: "HTTP \(response.status.code): \(String(buffer: body).prefix(200))")
        }
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}

extension AlertDeliveryError: AssayError {
    public var exitCode: Int32 { ExitStatus.unavailable }
}
