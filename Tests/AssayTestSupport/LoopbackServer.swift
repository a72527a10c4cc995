import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real server started for a test on 127.0.0.1 under a watchdog shell that kills it when the test process
/// ends, however it ends.
public struct LoopbackServer: Sendable {
    public let port: Int
    /// A scratch directory for the server's files.
    public let directory: String
    private let group: Int32

    public func stop() { kill(-group, SIGKILL) }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Runs `command` (a shell command line; `{port}` and `{dir}` are substituted) until `readyPath` answers 200.
    public static func start(_ command: String, readyPath: String = "/", name: String) async throws -> LoopbackServer {
        let directory = try TestFiles.temporaryDirectory("assay-\(name)")
        for _ in 0..<5 {
            let port = Int.random(in: 20_000..<60_000)
            let line = command.replacingOccurrences(of: "{port}", with: String(port)).replacingOccurrences(of: "{dir}", with: directory)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\(line) & while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; kill -9 -$$"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            let server = LoopbackServer(port: port, directory: directory, group: process.processIdentifier)
            for _ in 0..<100 {
                if let (_, response) = try? await URLSession.shared.data(from: URL(string: server.url + readyPath)!),
                    (response as? HTTPURLResponse)?.statusCode == 200
                {
                    return server
                }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            server.stop()
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(name) did not start: \(command)"])
    }

    /// Debian's Alertmanager with one do-nothing receiver, grouping after a second.
    public static func alertmanager() async throws -> LoopbackServer {
        let config = """
            route: {receiver: blackhole, group_wait: 1s, group_interval: 1s}
            receivers: [{name: blackhole}]
            """
        let directory = try TestFiles.temporaryDirectory("assay-am-config")
        try config.write(toFile: directory + "/alertmanager.yml", atomically: true, encoding: .utf8)
        return try await start(
            "prometheus-alertmanager --config.file=\(directory)/alertmanager.yml --storage.path={dir} --web.listen-address=127.0.0.1:{port} --cluster.listen-address=",
            readyPath: "/-/ready", name: "alertmanager")
    }

    /// A JSON webhook receiver (Python's http.server) that appends each POSTed body as one line to `{dir}/posts.jsonl`.
    public static func webhookRecorder() async throws -> LoopbackServer {
        let script = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                    with open(sys.argv[2], "ab") as f: f.write(body + b"\\n")
                    self.send_response(200); self.end_headers()
                def do_GET(self):
                    self.send_response(200); self.end_headers()
                def log_message(self, *args): pass
            http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
            """
        let directory = try TestFiles.temporaryDirectory("assay-webhook-script")
        try script.write(toFile: directory + "/recorder.py", atomically: true, encoding: .utf8)
        return try await start("python3 \(directory)/recorder.py {port} {dir}/posts.jsonl", name: "webhook")
    }

    /// Lines POSTed to a webhook recorder so far.
    public var posts: [[String: Any]] {
        ((try? String(contentsOfFile: directory + "/posts.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}
