import ArgumentParser
import AssayCore
import ExampleInference
import Foundation
import Hummingbird

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve POST /v1/predict and GET /healthz over HTTP, logging per-stage latency as JSON lines.")

    @OptionGroup var pipelineOptions: PipelineOptions

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 8080

    @Option(help: "File to append one latency JSON line per request to.")
    var latencyLog: String?

    @Option(help: "Apply --slow-stage/--slow-ms only while this file exists: a switch to flip a running server.")
    var slowSwitch: String?

    static let maxBodyBytes = 64 * 1024

    func run() async throws {
        let slowed = try pipelineOptions.pipeline()
        var normalOptions = slowed.options
        normalOptions.slowdownMilliseconds = [:]
        let normal = Pipeline(model: slowed.model, options: normalOptions)
        let slowSwitch = self.slowSwitch
        let log = try latencyLog.map { try LatencyLog(path: $0) }
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        router.post("v1/predict") { request, _ -> Response in
            let body = try await request.body.collect(upTo: Serve.maxBodyBytes)
            let decoded: InferenceRequest
            do {
                decoded = try JSONDecoder().decode(InferenceRequest.self, from: Data(body.readableBytesView))
            } catch {
                return Serve.json(.badRequest, ["error": "expected {\"id\": string, \"features\": [number]}: \(error)"])
            }
            do {
                let pipeline = slowSwitch.map { FileManager.default.fileExists(atPath: $0) ? slowed : normal } ?? slowed
                let (prediction, latency) = try pipeline.process(decoded)
                await log?.append(latency)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(prediction))))
            } catch let error as PipelineError {
                return Serve.json(.unprocessableContent, ["error": error.description])
            }
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "assay-example"))
        try await app.runService()
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? JSONEncoder().encode(object)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Appends latency records to a JSON-lines file, one writer at a time.
actor LatencyLog {
    private let handle: FileHandle
    private let encoder: JSONEncoder

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("cannot open \(path) for appending")
        }
        handle.seekToEndOfFile()
        self.handle = handle
        encoder = JSONCoding.encoder()
    }

    func append(_ record: LatencyRecord) {
        guard let line = try? encoder.encode(record) else { return }
        handle.write(line + Data("\n".utf8))
    }
}
