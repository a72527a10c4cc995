import AssayCore
import AssayLatency
import AssayProfiling
import AssayServing
import AssayTelemetry
import Foundation
import AssayTestSupport
import Testing

/// Inputs built to hurt: a gzip bomb, deep nesting, symlink loops, names that are not UTF-8, empty files and
/// enormous lines. Each must end in a clear error (or a sound result) within bounded time and memory.
@Suite struct HostileInputTests {
    static func scratch() throws -> String {
        let directory = try TestFiles.temporaryDirectory("assay-hostile")
        return directory
    }

    static func gzip(_ path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-f", path]
        try process.run()
        process.waitUntilExit()
    }

    @Test func aGzipBombIsRefusedBeforeItInflates() throws {
        let directory = try Self.scratch()
        // 512 MiB of zeros compresses to about half a MiB: a thousandfold, far past any real trace.
        let path = directory + "/bomb.json"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let chunk = Data(count: 16 << 20)
        for _ in 0..<32 { handle.write(chunk) }
        try handle.close()
        try Self.gzip(path)
        let started = Date()
        #expect {
            try ChromeTraceParser.parse(path: path + ".gz")
        } throws: { error in
            "\(error)".contains("valid gzip (more than 268435456 bytes when inflated)")
        }
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func deepNestingIsAnErrorNotAStackOverflow() throws {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        let object = "{\"traceEvents\": " + deep + "}"
        #expect(throws: (any Error).self) { try ChromeTraceParser.parse(bytes: Array(object.utf8), path: "deep.json") }
        #expect(JSONValue.parse(Array(deep.utf8)) == nil)
        let directory = try Self.scratch()
        try Data(deep.utf8).write(to: URL(fileURLWithPath: directory + "/telemetry.json"))
        #expect(throws: TelemetryLogError.self) { try TelemetryLog.read(path: directory + "/telemetry.json") }
        #expect(throws: (any Error).self) { try TritonStatistics.window(before: nil, after: Data(deep.utf8), model: nil, seconds: nil) }
        try Data(("{\"requests\": " + deep + "}").utf8).write(to: URL(fileURLWithPath: directory + "/profiling_report.json"))
        #expect(throws: (any Error).self) { try LatencyLog.read(path: directory + "/profiling_report.json", stages: ["inference"]) }
    }

    @Test func symlinkLoopsAndNamesThatAreNotUTF8() throws {
        let directory = try Self.scratch()
        let tree = directory + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/sub", withIntermediateDirectories: true)
        try Data("a".utf8).write(to: URL(fileURLWithPath: tree + "/sub/a.txt"))
        try FileManager.default.createSymbolicLink(atPath: tree + "/sub/loop", withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: tree + "/self", withDestinationPath: "self")
        let started = Date()
        let first = try TreeDigest.sha256(ofItemAt: tree)
        #expect(try TreeDigest.sha256(ofItemAt: tree) == first, "the same tree, the same digest")
        #expect(Date().timeIntervalSince(started) < 10, "links are hashed as links, not followed")
        // A file whose name is the byte 0xFF, which no UTF-8 string can hold: named, escaped, in the error.
        let raw = Array(tree.utf8) + [UInt8(ascii: "/"), 0xFF, 0]
        let fd = raw.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0)
        close(fd)
        #expect { try TreeDigest.sha256(ofItemAt: tree) } throws: { "\($0)".contains("\\xFF: name is not UTF-8") }
    }

    @Test func emptyFilesAndEnormousLinesGetClearErrors() throws {
        let directory = try Self.scratch()
        for name in ["trace.json", "latency.jsonl", "telemetry.jsonl", "perf.csv"] {
            #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data()))
        }
        #expect(throws: TraceError.self) { try ChromeTraceParser.parse(path: directory + "/trace.json") }
        #expect(throws: (any Error).self) { try LatencyLog.read(path: directory + "/latency.jsonl", stages: ["inference"]) }
        #expect(throws: TelemetryLogError(path: directory + "/telemetry.jsonl", line: 0, expected: "at least one sample")) {
            try TelemetryLog.read(path: directory + "/telemetry.jsonl")
        }
        #expect(throws: LoadTestError.self) { try LoadTestImport.read("", path: "perf.csv") }
        // One 64 MiB line of garbage: an error naming line 1, in bounded time.
        let line = Data(repeating: UInt8(ascii: "x"), count: 64 << 20)
        try line.write(to: URL(fileURLWithPath: directory + "/huge.jsonl"))
        let started = Date()
        #expect { try LatencyLog.read(path: directory + "/huge.jsonl", stages: ["inference"]) } throws: { "\($0)".contains(":1") }
        #expect { try TelemetryLog.read(path: directory + "/huge.jsonl") } throws: { "\($0)".contains(":1") }
        #expect(Date().timeIntervalSince(started) < 30)
    }
}
