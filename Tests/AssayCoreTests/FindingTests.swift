import AssayCore
import Foundation
import Testing

@Suite struct FindingTests {
    static let evidence = Evidence(path: "logs/latency.jsonl", sha256: String(repeating: "b", count: 64), locator: "#L10-20")

    @Test func roundTripsThroughJSON() throws {
        let finding = Finding(
            table: .latencyProfile, check: "Inference", status: .watch, observed: "280 ms", expected: "< 300 ms",
            severity: .medium, measurements: ["p95_ms": 420], attributes: ["trend": "+2%"], evidence: Self.evidence)
        let data = try JSONEncoder().encode(finding)
        #expect(try JSONDecoder().decode(Finding.self, from: data) == finding)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["layer"] as? String == "latency")
    }

    @Test func cannotBeDecodedWithoutEvidence() {
        let json = #"{"table":"latency_profile","check":"x","status":"pass","observed":"1","severity":"info","evidence":[]}"#
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Finding.self, from: Data(json.utf8))
        }
    }

    @Test func evidenceReferenceJoinsPathAndLocator() {
        #expect(Self.evidence.reference == "logs/latency.jsonl#L10-20")
        #expect(Evidence(path: "a.json", sha256: "", locator: "/runs/0").reference == "a.json#/runs/0")
        #expect(Evidence(path: "a.json", sha256: "").reference == "a.json")
    }

    @Test func tablesBelongToTheirLayers() {
        #expect(ReportTable.anomalyDetection.layer == .resources)
        #expect(ReportTable.bottleneckAnalysis.layer == .latency)
        #expect(ReportTable.optimizationImpact.layer == .baseline)
    }
}
