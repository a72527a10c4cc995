import AssayBaseline
import AssayCore
import AssayIntegrations
import AssayTestSupport
import Foundation
import NIOCore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite(.serialized, .enabled(if: ExternalTool.available(["prometheus-alertmanager", "python3"]), "needs prometheus-alertmanager (Debian) and python3"))
struct AlertTests {
    static func event(_ kind: AlertEvent.Kind, at seconds: Double) -> AlertEvent {
        let start = Date().addingTimeInterval(-300)
        return AlertEvent(
            rule: "p95_over_baseline", kind: kind, value: 31.2, limit: 25, since: start, at: start.addingTimeInterval(seconds),
            condition: "P95 31.2 ms > 25 ms (baseline 20 ms + 5 ms)")
    }

    static func alerts(_ alertmanager: LoopbackServer) async throws -> [[String: Any]] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: alertmanager.url + "/api/v2/alerts")!)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    /// A firing alert reaches a real Alertmanager as one active alert however often it is re-sent; resolving it
    /// ends it. The webhook hears only the two changes, firing and resolved.
    @Test func firingAndResolvedReachAlertmanagerAndWebhook() async throws {
        let alertmanager = try await LoopbackServer.alertmanager()
        defer { alertmanager.stop() }
        let webhook = try await LoopbackServer.webhookRecorder()
        defer { webhook.stop() }
        let notifier = AlertNotifier(alertmanagerURL: alertmanager.url, webhooks: [webhook.url + "/hook"], service: "inference-api")

        #expect(try await notifier.deliver([Self.event(.pending, at: 0)]) == 0)
        try await notifier.deliver([Self.event(.firing, at: 180)])
        try await notifier.deliver([Self.event(.stillFiring, at: 195)])
        try await notifier.deliver([Self.event(.stillFiring, at: 210)])
        let active = try await Self.alerts(alertmanager)
        #expect(active.count == 1)
        let labels = try #require(active.first?["labels"] as? [String: String])
        #expect(labels["alertname"] == "AssayLatencyRegression" && labels["service"] == "inference-api" && labels["rule"] == "p95_over_baseline")
        #expect((active.first?["status"] as? [String: Any])?["state"] as? String == "active")

        try await notifier.deliver([Self.event(.resolved, at: 240)])
        let after = try await Self.alerts(alertmanager)
        #expect(after.allSatisfy { ($0["status"] as? [String: Any])?["state"] as? String != "active" } || after.isEmpty)
        #expect(webhook.posts.map { $0["status"] as? String } == ["firing", "resolved"])
        let alerts = webhook.posts.first?["alerts"] as? [[String: Any]]
        #expect(alerts?.count == 1 && alerts?.first?["rule"] as? String == "p95_over_baseline")
    }
}

/// Errors when a service is down need no service: they run everywhere.
@Suite struct UnreachableServiceTests {
    @Test func unreachableAlertmanagerIsAClearError() async throws {
        var notifier = AlertNotifier(alertmanagerURL: "http://127.0.0.1:9", webhooks: [], service: "x")
        notifier.timeout = .seconds(1)
        await #expect(throws: AlertDeliveryError.self) { try await notifier.deliver([AlertTests.event(.firing, at: 0)]) }
    }

    @Test func unreachableMLflowIsAClearError() async throws {
        let client = MLflowClient(trackingURI: "http://127.0.0.1:9", timeoutSeconds: 1)
        await #expect(throws: MLflowError.self) { try await client.run(id: "x") }
    }
}
