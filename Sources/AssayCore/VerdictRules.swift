/// The rules that turn layer results into a verdict. Written down in the README; change both together.
///
/// 1. **AT RISK** when a required layer did not run, or any finding is an integrity failure
///    (a checksum that differs from the approved one, an output that does not reproduce) or unverified
///    (a component without an approved checksum, a missing file, something out of sync).
/// 2. **NEEDS FIX** otherwise when any finding is a threshold breach or a significant regression.
/// 3. **STABLE** otherwise; findings to watch do not change the verdict.
public struct VerdictRules: Sendable, Hashable {
    /// Layers that must have run for the audit to be anything but AT RISK.
    public var requiredLayers: Set<Layer>

    public static let defaultRequiredLayers: Set<Layer> = [.environment, .reproducibility, .resources, .latency]

    public init(requiredLayers: Set<Layer> = VerdictRules.defaultRequiredLayers) {
        self.requiredLayers = requiredLayers
    }

    public func judge(_ results: [LayerResult]) -> Judgement {
        var atRisk: [String] = []
        var needsFix: [String] = []
        let byLayer = Dictionary(results.map { ($0.layer, $0) }, uniquingKeysWith: { _, last in last })
        for layer in requiredLayers.sorted() {
            guard let result = byLayer[layer] else {
                atRisk.append("\(layer.title): required layer did not run")
                continue
            }
            if let reason = result.notVerifiedReason {
                atRisk.append("\(layer.title): not verified (\(reason))")
            }
        }
        for result in results.sorted(by: { $0.layer < $1.layer }) {
            for finding in result.findings {
                let line = "\(finding.layer.title): \(finding.check) — \(finding.observed)"
                switch finding.status {
                case .integrityFailure: atRisk.append(line + " (integrity failure)")
                case .unverified: atRisk.append(line + " (unverified)")
                case .breach: needsFix.append(line + " (threshold breach)")
                case .pass, .watch, .notJudged: break
                }
            }
        }
        if !atRisk.isEmpty { return Judgement(verdict: .atRisk, reasons: atRisk + needsFix) }
        if !needsFix.isEmpty { return Judgement(verdict: .needsFix, reasons: needsFix) }
        return Judgement(verdict: .stable, reasons: [])
    }
}
