import AssayConfig
import AssayIntegrations
import AssayTelemetry
import AssayTestSupport
import Foundation
import Testing

@Suite(.enabled(if: ExternalTool.available(["python3"]), "needs python3"))
struct UptimeProberTests {
    /// A real HTTP server on loopback is up by GET and by TCP connect; a port nobody listens on is down both ways.
    @Test func httpAndTCPProbes() async throws {
        let server = try await LoopbackServer.webhookRecorder()
        defer { server.stop() }
        let http = await UptimeProber.probe(.init(name: "predict endpoint", url: server.url + "/healthz", intervalSeconds: 5, timeoutSeconds: 2))
        #expect(http.up && http.detail == "HTTP 200" && http.target == "predict-endpoint")
        #expect((http.latencyMilliseconds ?? -1) >= 0)
        let tcp = await UptimeProber.probe(.init(name: "tcp", url: "tcp://127.0.0.1:\(server.port)", intervalSeconds: 5, timeoutSeconds: 2))
        #expect(tcp.up && tcp.detail == "connected")
        server.stop()
        try await Task.sleep(for: .milliseconds(300))
        let closedTCP = await UptimeProber.probe(.init(name: "tcp", url: "tcp://127.0.0.1:\(server.port)", intervalSeconds: 5, timeoutSeconds: 1))
        #expect(!closedTCP.up && closedTCP.latencyMilliseconds == nil)
        let closedHTTP = await UptimeProber.probe(.init(name: "web", url: server.url + "/healthz", intervalSeconds: 5, timeoutSeconds: 1))
        #expect(!closedHTTP.up)
    }
}
