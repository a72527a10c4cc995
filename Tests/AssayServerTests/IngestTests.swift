import AssayCore
import AssayStore
import AssayTestSupport
import Foundation
import Testing

@testable import AssayServer

/// What the server checks before it stores a pushed audit, and how it reads a body without decoding it whole.
@Suite struct IngestTests {
    /// A real audit of the example service, as `GET /api/v1/runs/ID` served it (and `assay push` sends it).
    static let fixture = TestFiles.packageRoot + "/Tests/AssayServerTests/Fixtures/pushed-run.json"

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func theScannedBodyDecodesToTheSameRunAsJSONDecoder() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixture))
        let whole = try JSONCoding.decoder().decode(AuditRun.self, from: data)
        let body = try PushedRunBody(bytes: [UInt8](data))
        var rebuilt = body.skeleton
        for index in rebuilt.layers.indices {
            #expect(rebuilt.layers[index].findings.isEmpty)
            try body.forEachFinding(layer: index) { rebuilt.layers[index].findings.append($0) }
        }
        #expect(rebuilt == whole)
        #expect(whole.findings.count > 20)
        let checked = try AssayServer.checkPushedRun([UInt8](data))
        #expect(checked.id == whole.id && checked.findings == whole.findings.count)
        // The history gathered finding by finding is the one a local audit records.
        let history = try body.checkedHistory()
        #expect(!history.points.isEmpty && history.points.allSatisfy { $0.runID == whole.id && $0.recordedAt == whole.startedAt })
    }

    @Test func escapedMemberNamesWhitespaceAndEmptyArraysReadAlike() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.fixture))
        var text = String(decoding: data, as: UTF8.self)
        // "findings" spelled with an escape, spaces around the structure, as a decoder reads them alike.
        text = text.replacingOccurrences(of: "\"findings\":", with: " \"fin\\u0064ings\" :\n ")
        let body = try PushedRunBody(bytes: Self.bytes(text))
        #expect(body.findingRanges.reduce(0) { $0 + $1.count } == (try JSONCoding.decoder().decode(AuditRun.self, from: data)).findings.count)
        let empty = try PushedRunBody(bytes: Self.bytes(#"{"id":"a","started_at":"2026-12-07T00:00:00Z","finished_at":"2026-12-07T00:00:01Z","configuration":{"path":"a.yaml","sha256":"ab"},"layers":[],"judgement":{"verdict":"STABLE","reasons":[]},"assay_version":"0.1.0"}"#))
        #expect(empty.skeleton.layers.isEmpty)
    }

    @Test func malformedBodiesNameTheByte() throws {
        for (text, expected) in [
            (#"{"id":"a","id":"b"}"#, "given twice"),
            (#"{"layers":[{"findings":[{}],"findings":[]}]}"#, "given twice"),
            (#"{"layers":[{"findings":[1,]}]}"#, "a value"),
            (#"{"layers":[{"findings":["unterminated]}]}"#, "closing quote"),
            (#"{"id":"a"} trailing"#, "the end of the body"),
            (String(repeating: "[", count: 600), "an object at top level"),
            (#"{"a":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}", "nesting at most 512"),
        ] {
            #expect(throws: PushedRunBody.Malformed.self, "\(text.prefix(40))") { try PushedRunBody(bytes: Self.bytes(text)) }
            do { _ = try PushedRunBody(bytes: Self.bytes(text)) } catch let error as PushedRunBody.Malformed {
                #expect(error.description.contains(expected) && error.description.contains("at byte"), "\(error)")
            }
        }
    }

    static func run(_ adjust: (inout AuditRun) -> Void = { _ in }) -> AuditRun {
        let when = Date(timeIntervalSince1970: 1_796_601_600)
        let finding = Finding(
            table: .latencyProfile, check: "Total", status: .pass, observed: "P95 41 ms\nP99 50 ms", severity: .info, measurements: ["p95_ms": 41],
            evidence: Evidence(path: "logs/latency.jsonl", sha256: String(repeating: "c", count: 64)))
        var run = AuditRun(
            id: "ci-1", startedAt: when, finishedAt: when.addingTimeInterval(2), configuration: Evidence(path: "assay.yaml", sha256: "ee"),
            layers: [LayerResult(layer: .latency, state: .verified, findings: [finding], startedAt: when, durationSeconds: 1)],
            judgement: Judgement(verdict: .stable, reasons: []))
        adjust(&run)
        return run
    }

    func field(_ run: AuditRun) -> String? {
        do {
            try IngestValidation.check(run)
            return nil
        } catch {
            return error.field
        }
    }

    @Test func eachRuleNamesItsField() {
        #expect(field(Self.run()) == nil)
        #expect(field(Self.run { $0.startedAt = Date(timeIntervalSince1970: 253_402_300_800) }) == "started_at")  // 10000-01-01
        #expect(field(Self.run { $0.startedAt = Date(timeIntervalSince1970: -1) }) == "started_at")
        #expect(field(Self.run { $0.finishedAt = $0.startedAt.addingTimeInterval(-1) }) == "finished_at")
        #expect(field(Self.run { $0.layers[0].durationSeconds = -0.5 }) == "layers[0].duration_seconds")
        #expect(field(Self.run { $0.layers[0].durationSeconds = .infinity }) == "layers[0].duration_seconds")
        #expect(field(Self.run { $0.layers.append($0.layers[0]) }) == "layers[1].layer")
        #expect(field(Self.run { $0.id = "latest" }) == "id")
        #expect(field(Self.run { $0.id = "Runs" }) == "id")
        #expect(field(Self.run { $0.id = "a b" }) == "id")
        #expect(field(Self.run { $0.id = String(repeating: "a", count: 129) }) == "id")
        #expect(field(Self.run { $0.host = "h\u{0}<script>" }) == "host")
        #expect(field(Self.run { $0.host = "h\u{202E}" }) == nil, "a bidi mark is not a control character")
        #expect(field(Self.run { $0.layers[0].findings[0].measurements["p95_ms"] = .nan }) == "layers[0].findings[0].measurements.p95_ms")
        #expect(field(Self.run { $0.layers[0].findings[0].observed = "a\u{7}b" }) == "layers[0].findings[0].observed")
        #expect(field(Self.run { $0.layers[0].findings[0].check = "a\nb" }) == "layers[0].findings[0].check")
        #expect(field(Self.run { $0.layers[0].findings[0].series = ["cdf": [SeriesPoint(1, .infinity)]] }) == "layers[0].findings[0].series.cdf")
        #expect(field(Self.run { $0.layers[0].findings[0].events = [FindingEvent(start: $0.startedAt, end: $0.startedAt.addingTimeInterval(-5))] })
            == "layers[0].findings[0].events[0].end")
        // The edges of the accepted range are accepted, and read back by the store exactly.
        #expect(field(Self.run { $0.startedAt = IngestValidation.earliest; $0.layers[0].startedAt = IngestValidation.earliest }) == nil)
        #expect(field(Self.run { $0.finishedAt = IngestValidation.latest; $0.layers[0].startedAt = IngestValidation.latest }) == nil)
    }

    @Test func theStoreReadsBackEveryAcceptedDate() throws {
        let store = try Store(path: try TestFiles.temporaryDirectory("ingest-dates") + "/assay.sqlite")
        for (index, date) in [IngestValidation.earliest, IngestValidation.latest, Date(timeIntervalSince1970: 1_796_601_600.123)].enumerated() {
            let run = Self.run {
                $0.id = "edge-\(index)"
                $0.startedAt = date
                $0.finishedAt = date
                $0.layers[0].startedAt = date
            }
            try IngestValidation.check(run)
            try store.save(run)
            let back = try #require(try store.run(id: run.id))
            #expect(abs(back.startedAt.timeIntervalSince(date)) < 0.001 && abs(back.layers[0].startedAt.timeIntervalSince(date)) < 0.001)
        }
        #expect(try store.runs(limit: 10).count == 3)
        #expect(throws: StoreError.self) { try store.save(Self.run { $0.id = "edge-0" }) }
    }

    @Test func queryWindowsSnapUpAndBoundedMapsDropTheOldestByWeight() {
        #expect(QueryOptions.snap(0.001, to: QueryOptions.dayWindows) == 1)
        #expect(QueryOptions.snap(7, to: QueryOptions.dayWindows) == 7)
        #expect(QueryOptions.snap(7.01, to: QueryOptions.dayWindows) == 30)
        #expect(QueryOptions.snap(10_000, to: QueryOptions.dayWindows) == 366)
        var map = BoundedMap<String>(capacity: 10, maxWeight: 10) { $0.count }
        map["a"] = "xxxx"
        map["b"] = "xxxx"
        map["c"] = "xxxx"
        #expect(map["a"] == nil && map["b"] != nil && map["c"] != nil && map.totalWeight == 8)
        map["huge"] = String(repeating: "x", count: 11)
        #expect(map["huge"] == nil && map.count == 2)
        map["b"] = "x"
        #expect(map.totalWeight == 5)
        map["b"] = nil
        #expect(map.count == 1 && map.totalWeight == 4)
    }
}
