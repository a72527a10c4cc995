import AssayCore
import AssayEnvironment
import Foundation
import AssayTestSupport
import Testing

@Suite struct ArtifactVerifierTests {
    func workspace() throws -> String {
        let root = try TestFiles.temporaryDirectory("assay-env")
        try AtomicFile.write(Array("weights v1".utf8), to: root + "/model.bin")
        try AtomicFile.write(Array("a,b\n1,2\n".utf8), to: root + "/data/part-0.csv")
        try AtomicFile.write(Array("a,b\n3,4\n".utf8), to: root + "/data/part-1.csv")
        try AtomicFile.write(Array("# config\n".utf8), to: root + "/assay.yaml")
        return root
    }

    func settings(_ root: String, _ artifacts: [Artifact]) -> EnvironmentSettings {
        var settings = EnvironmentSettings(workspace: WorkspaceRoot(root: root, configurationPath: root + "/assay.yaml"))
        settings.artifacts = artifacts
        return settings
    }

    @Test func treeDigestDependsOnContentAndNamesOnly() throws {
        let root = try workspace()
        let first = try TreeDigest.sha256(ofItemAt: root + "/data")
        #expect(try TreeDigest.sha256(ofItemAt: root + "/data") == first)
        try AtomicFile.write(Array("a,b\n3,5\n".utf8), to: root + "/data/part-1.csv")
        let changed = try TreeDigest.sha256(ofItemAt: root + "/data")
        #expect(changed != first)
        try FileManager.default.moveItem(atPath: root + "/data/part-1.csv", toPath: root + "/data/part-2.csv")
        #expect(try TreeDigest.sha256(ofItemAt: root + "/data") != changed)
    }

    @Test func statusesFollowTheApprovedDigests() throws {
        let root = try workspace()
        let modelDigest = try FileDigest.sha256(ofFileAt: root + "/model.bin")
        let findings = try ArtifactVerifier(
            settings: settings(root, [
                .init(name: "weights", kind: .model, path: "model.bin", approvedSHA256: modelDigest, version: "v1"),
                .init(name: "data", kind: .dataset, path: "data", approvedSHA256: String(repeating: "0", count: 64), version: nil),
                .init(name: "lock", kind: .lockfile, path: "model.bin", approvedSHA256: nil, version: nil),
                .init(name: "gone", kind: .config, path: "missing.yaml", approvedSHA256: nil, version: nil),
            ])
        ).verify()
        #expect(findings.map(\.status) == [.pass, .integrityFailure, .unverified, .unverified])
        #expect(findings[0].primaryEvidence.sha256 == modelDigest)
        #expect(findings[0].observed.hasSuffix("(v1)"))
        #expect(findings[1].recommendation?.contains("approve sha256:") == true)
        #expect(findings[3].primaryEvidence.path == "assay.yaml")
        #expect(findings[3].primaryEvidence.locator == "/workspace/artifacts/3")
    }
}
