import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs `assay-example serve` on loopback and talks HTTP to it.
extension LoadTests {
@Suite struct ExampleServerTests {
    struct Server {
        var process: Process
        var port: Int
        var latencyLog: String

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    static func start(_ extraArguments: [String] = []) async throws -> Server {
        let service = URL(fileURLWithPath: try CLITests.binary()).deletingLastPathComponent().appendingPathComponent("assay-example").path
        let example = CLITests.packageRoot + "/Examples/InferenceService"
        let directory = try CLITests.temporaryDirectory()
        for _ in 0..<5 {
            let port = Int.random(in: 20_000..<60_000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: service)
            process.arguments = ["serve", "--model", example + "/model/model.json", "--port", String(port),
                                 "--latency-log", directory + "/latency.jsonl"] + extraArguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 {
                if !process.isRunning { break }
                if let (_, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!),
                    (response as? HTTPURLResponse)?.statusCode == 200
                {
                    return Server(process: process, port: port, latencyLog: directory + "/latency.jsonl")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            if process.isRunning { process.terminate() }
        }
        throw CocoaError(.fileReadUnknown)
    }

    static func post(_ port: Int, _ body: Data) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/predict")!)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    @Test func servesPredictionsConcurrentlyAndLogsStageLatency() async throws {
        let server = try await Self.start()
        defer { server.stop() }
        let requests = (0..<32).map { i in
            #"{"id":"load-\#(i)","features":[\#(i % 3),1,2,0,-1,2,1,0]}"#
        }
        let answers = try await withThrowingTaskGroup(of: (Int, Data).self) { group in
            for body in requests { group.addTask { try await Self.post(server.port, Data(body.utf8)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 32)
        #expect(answers.allSatisfy { $0.0 == 200 })
        let first = try JSONSerialization.jsonObject(with: answers[0].1) as? [String: Any]
        #expect(first?["label"] is String)
        // Same request, same seed: the same bytes, even over HTTP.
        let a = try await Self.post(server.port, Data(requests[0].utf8))
        let b = try await Self.post(server.port, Data(requests[0].utf8))
        #expect(a.1 == b.1)
        let log = try String(contentsOfFile: server.latencyLog, encoding: .utf8)
        let lines = log.split(separator: "\n")
        #expect(lines.count == 34)
        #expect(lines.allSatisfy { $0.contains("\"inference_ms\"") && $0.contains("\"request_id\"") })
    }

    @Test func badRequestsGetClearErrors() async throws {
        let server = try await Self.start()
        defer { server.stop() }
        let (status, body) = try await Self.post(server.port, Data("not json".utf8))
        #expect(status == 400)
        #expect(String(decoding: body, as: UTF8.self).contains("expected"))
        let (wrongShape, message) = try await Self.post(server.port, Data(#"{"id":"x","features":[1,2]}"#.utf8))
        #expect(wrongShape == 422)
        #expect(String(decoding: message, as: UTF8.self).contains("expected 8 features, got 2"))
        let huge = Data(("{\"id\":\"x\",\"features\":[" + String(repeating: "1,", count: 50_000) + "1]}").utf8)
        let (tooLarge, _) = try await Self.post(server.port, huge)
        #expect(tooLarge == 413)
    }
}
}
