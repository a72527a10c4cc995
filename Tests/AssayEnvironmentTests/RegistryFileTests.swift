import AssayCore
import AssayEnvironment
import Foundation
import AssayTestSupport
import Testing

@Suite struct RegistryFileTests {
    static func workspace() throws -> (EnvironmentSettings, String) {
        let root = try TestFiles.temporaryDirectory("assay-registry-file")
        try AtomicFile.write(Array("weights v1".utf8), to: root + "/model/weights.bin")
        try AtomicFile.write(Array("1,2\n".utf8), to: root + "/data/part-0.csv")
        try AtomicFile.write(Array("version: 1\n".utf8), to: root + "/assay.yaml")
        return (EnvironmentSettings(workspace: WorkspaceRoot(root: root, configurationPath: root + "/assay.yaml")), root)
    }

    @Test func registeredModelAndDatasetRows() throws {
        var (configuration, root) = try Self.workspace()
        let model = try FileDigest.sha256(ofFileAt: root + "/model/weights.bin")
        let data = try TreeDigest.sha256(ofItemAt: root + "/data")
        try AtomicFile.write(Array(#"{"models": [{"name": "clf", "version": "v2", "path": "model/weights.bin", "sha256": "\#(model)"}, {"name": "old", "version": "v1", "path": "model/gone.bin", "sha256": "\#(model)"}]}"#.utf8), to: root + "/model_registry.json")
        try AtomicFile.write(Array("datasets:\n  - {name: d, version: v1.3, path: data, sha256: \(String(repeating: "0", count: 64))}\n".utf8), to: root + "/data_manifest.yaml")
        configuration.registries.models = "model_registry.json"
        configuration.registries.datasets = "data_manifest.yaml"
        let findings = try Registries.findings(configuration)
        #expect(findings.map(\.check) == ["Model Binary: clf", "Model Binary: old", "Dataset Version: d"])
        #expect(findings.map(\.status) == [.pass, .unverified, .integrityFailure])
        #expect(findings[0].observed == "v2")
        #expect(findings[2].observed.hasPrefix("differs from v1.3 (sha256:\(data.prefix(12))"))
        #expect(findings.allSatisfy { $0.table == .reproducibilityStatus })
    }

    @Test func approvalsFileApprovesArtifacts() throws {
        var (configuration, root) = try Self.workspace()
        let model = try FileDigest.sha256(ofFileAt: root + "/model/weights.bin")
        try AtomicFile.write(Array("""
            approvals:
              - path: model/weights.bin
                sha256: sha256:\(model.uppercased())
                approved_by: alice
                approved_at: 2026-11-20
                reason: retrained
            """.utf8), to: root + "/approvals.yaml")
        configuration.approvals = "approvals.yaml"
        configuration.artifacts = [.init(name: "weights", kind: .model, path: "model/weights.bin")]
        let findings = try ArtifactVerifier(settings: configuration).verify()
        #expect(findings.map(\.status) == [.pass])
        #expect(findings[0].verifiedBy == "Assay · approved by alice on 2026-11-20")
        try AtomicFile.write(Array("approvals:\n  - {path: x, sha256: 12}\n".utf8), to: root + "/approvals.yaml")
        #expect(throws: LockfileError.self) { try ArtifactVerifier(settings: configuration).verify() }
    }
}
