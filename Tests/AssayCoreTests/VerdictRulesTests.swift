import AssayCore
import Foundation
import Testing

@Suite struct VerdictRulesTests {
    static let evidence = Evidence(path: "model.bin", sha256: String(repeating: "a", count: 64))
    static let date = Date(timeIntervalSince1970: 1_800_000_000)

    static func finding(_ status: FindingStatus, _ table: ReportTable = .environmentIntegrity) -> Finding {
        Finding(table: table, check: "check-\(status.rawValue)", status: status, observed: "x", evidence: evidence)
    }

    static func verified(_ layer: Layer, _ findings: [Finding] = []) -> LayerResult {
        LayerResult(layer: layer, state: .verified, findings: findings, startedAt: date)
    }

    static func allVerified(plus findings: [Finding]) -> [LayerResult] {
        Layer.allCases.map { layer in verified(layer, findings.filter { $0.layer == layer }) }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var results: [LayerResult]
        var required: Set<Layer>
        var expected: Verdict
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "all layers pass", results: allVerified(plus: [finding(.pass)]), required: VerdictRules.defaultRequiredLayers, expected: .stable),
        Case(name: "watch does not change STABLE", results: allVerified(plus: [finding(.watch, .latencyProfile)]), required: VerdictRules.defaultRequiredLayers, expected: .stable),
        Case(name: "threshold breach is NEEDS FIX", results: allVerified(plus: [finding(.breach, .resourceUtilization)]), required: VerdictRules.defaultRequiredLayers, expected: .needsFix),
        Case(name: "regression is NEEDS FIX", results: allVerified(plus: [finding(.breach, .performanceBaseline), finding(.pass)]), required: VerdictRules.defaultRequiredLayers, expected: .needsFix),
        Case(name: "integrity failure is AT RISK", results: allVerified(plus: [finding(.integrityFailure)]), required: VerdictRules.defaultRequiredLayers, expected: .atRisk),
        Case(name: "unverified component is AT RISK", results: allVerified(plus: [finding(.unverified)]), required: VerdictRules.defaultRequiredLayers, expected: .atRisk),
        Case(name: "integrity failure outranks a breach", results: allVerified(plus: [finding(.breach, .resourceUtilization), finding(.integrityFailure)]), required: VerdictRules.defaultRequiredLayers, expected: .atRisk),
        Case(
            name: "required layer not verified is AT RISK",
            results: Layer.allCases.map { $0 == .resources ? .notVerified($0, reason: "no telemetry", at: date) : verified($0) },
            required: VerdictRules.defaultRequiredLayers, expected: .atRisk),
        Case(
            name: "optional layer not verified stays STABLE",
            results: Layer.allCases.map { $0 == .capacity ? .notVerified($0, reason: "no load data", at: date) : verified($0) },
            required: VerdictRules.defaultRequiredLayers, expected: .stable),
        Case(name: "required layer missing entirely is AT RISK", results: [verified(.environment)], required: [.environment, .latency], expected: .atRisk),
        Case(name: "no required layers and nothing run is STABLE", results: [], required: [], expected: .stable),
    ]

    @Test(arguments: cases)
    func verdictFollowsTheRules(_ testCase: Case) {
        let judgement = VerdictRules(requiredLayers: testCase.required).judge(testCase.results)
        #expect(judgement.verdict == testCase.expected)
        #expect(judgement.reasons.isEmpty == (testCase.expected == .stable))
    }

    @Test func exitCodesAreDocumentedValues() {
        #expect(Verdict.stable.exitCode == 0)
        #expect(Verdict.needsFix.exitCode == 1)
        #expect(Verdict.atRisk.exitCode == 2)
    }

    @Test func reasonsNameTheLayerAndCheck() {
        let results = Layer.allCases.map { $0 == .latency ? .notVerified($0, reason: "no logs", at: Self.date) : Self.verified($0) }
        let judgement = VerdictRules().judge(results)
        #expect(judgement.reasons == ["Latency profile: not verified (no logs)"])
    }
}
