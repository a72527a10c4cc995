import AssayIntegrations
import AssayTestSupport
import Foundation
import Testing

/// The live load generator against real servers that treat connections as servers do: one request per connection
/// (HTTP/1.0), keep-alive with a short idle timeout (the server closes idle connections, so a request can race the
/// close), and a server that drops some connections without answering.
@Suite(.serialized) struct LiveLoadTests {
    /// A Python http.server answering POST /predict with `Server-Timing`, in the given mode.
    static func server(_ mode: String) async throws -> LoopbackServer {
        let script = """
            import http.server, socketserver, sys, time
            mode = sys.argv[2]
            count = 0
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.0" if mode == "http10" else "HTTP/1.1"
                timeout = 0.15 if mode == "short-keepalive" else None
                def do_POST(self):
                    global count
                    count += 1
                    self.rfile.read(int(self.headers["Content-Length"]))
                    if mode == "drop" and count % 10 == 0:
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    body = b'{"ok": true, "id": "' + self.headers["X-Request-Id"].encode() + b'"}'
                    self.send_response(200)
                    self.send_header("Server-Timing", 'preprocess;dur=0.5, inference;desc="onnx";dur=2.25')
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def do_GET(self):
                    self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
                def log_message(self, *args): pass
            class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
                daemon_threads = True
            S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
            """
        let directory = try TestFiles.temporaryDirectory("assay-live-load-script")
        try script.write(toFile: directory + "/server.py", atomically: true, encoding: .utf8)
        return try await LoopbackServer.start("python3 \(directory)/server.py {port} \(mode)", name: "live-load-\(mode)")
    }

    @Test(arguments: ["keepalive", "http10", "short-keepalive"])
    func everyRequestIsAnsweredWithItsStagesWhateverTheServerDoesWithConnections(_ mode: String) async throws {
        let server = try await Self.server(mode)
        defer { server.stop() }
        let requests = try await LiveLoad(url: server.url + "/predict", body: Array(#"{"x": 1}"#.utf8), seed: 7)
            .drive(rate: 40, seconds: 3, prefix: mode)
        #expect(requests.count == 120)
        #expect(requests.allSatisfy { $0.ok }, "\(mode): \(requests.filter { !$0.ok }.count) failed")
        #expect(Set(requests.map(\.id)).count == 120 && requests.map(\.offsetSeconds) == requests.map(\.offsetSeconds).sorted())
        #expect(requests.allSatisfy { $0.serverStages.map(\.name) == ["preprocess", "inference"] && $0.serverStages[1].milliseconds == 2.25 })
        #expect(requests.allSatisfy { $0.clientMilliseconds > 0 && $0.clientMilliseconds < 5000 })
    }

    /// A server that drops every tenth request's connection unanswered: those fail with status 0 (a connection used
    /// a moment ago is not one whose keep-alive ran out, so nothing is sent again), the rest are answered, nothing
    /// hangs.
    @Test func droppedConnectionsAreFailuresNotHangs() async throws {
        let server = try await Self.server("drop")
        defer { server.stop() }
        let requests = try await LiveLoad(url: server.url + "/predict", body: Array("{}".utf8), seed: 3).drive(rate: 50, seconds: 2, prefix: "d")
        #expect(requests.count == 100)
        let failed = requests.filter { !$0.ok }
        #expect(failed.allSatisfy { $0.status == 0 && $0.clientMilliseconds == 0 })
        #expect(failed.count >= 8 && failed.count <= 10, "\(failed.count) failed")
    }

    @Test func aURLThatIsNotHTTPIsRefused() async throws {
        await #expect(throws: LiveLoadError.self) {
            try await LiveLoad(url: "https://127.0.0.1:1/predict", body: [], seed: 1).drive(rate: 1, seconds: 1, prefix: "x")
        }
    }
}
