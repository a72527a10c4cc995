import AssayConfig
import AssayCore
import AssayEnvironment
import Foundation
import Testing

@Suite struct ManifestTests {
    static func workspace() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("assay-manifest-\(UUID().uuidString)").path
        try AtomicFile.write(Array("numpy==1.24.3\nscipy==1.11.4\n".utf8), to: root + "/requirements.txt")
        try AtomicFile.write(Array("model:\n  batch_size: 8\nseed: 42\n".utf8), to: root + "/config.yaml")
        try AtomicFile.write(Array("1,2\n".utf8), to: root + "/data/part-0.csv")
        try AtomicFile.write(Array("weights".utf8), to: root + "/model/weights.bin")
        return root
    }

    @Test func snapshotClassifiesAndIsContentAddressed() throws {
        let root = try Self.workspace()
        let manifest = try EnvironmentManifest.snapshot(root: root, seed: 42)
        #expect(manifest.components.map { "\($0.path):\($0.kind.rawValue)" } == [
            "config.yaml:config", "data:dataset", "model:model", "requirements.txt:lockfile",
        ])
        #expect(manifest.components.first { $0.kind == .lockfile }?.packages == 2)
        #expect(try manifest.digest == manifest.computedDigest())
        try AtomicFile.write(Array(try manifest.yaml().utf8), to: root + "/env_manifest.yaml")
        let read = try EnvironmentManifest.read(path: root + "/env_manifest.yaml")
        #expect(read == manifest)
        #expect(read.seed == 42)
    }

    @Test func verifyReportsValidModifiedMissingAndAnEditedManifest() throws {
        let root = try Self.workspace()
        let manifest = try EnvironmentManifest.snapshot(root: root, seed: nil)
        #expect(try manifest.verify(root: root).components.allSatisfy { $0.state == .valid })
        // Reformatting a config keeps its data: still valid.
        try AtomicFile.write(Array("seed: 42\nmodel: {batch_size: 8}\n".utf8), to: root + "/config.yaml")
        try AtomicFile.write(Array("1,3\n".utf8), to: root + "/data/part-0.csv")
        try FileManager.default.removeItem(atPath: root + "/requirements.txt")
        let (intact, statuses) = try manifest.verify(root: root)
        #expect(intact)
        #expect(statuses.map(\.state) == [.valid, .modified, .valid, .missing])
        var edited = manifest
        edited.components[0].sha256 = String(repeating: "0", count: 64)
        #expect(try !edited.verify(root: root).manifestIntact)
    }

    @Test func environmentsAreVerifiedAndTheirDriftMeasured() throws {
        let (staging, production) = try DriftTests.pair()
        for directory in [staging, production] {
            let manifest = try EnvironmentManifest.snapshot(root: directory, seed: 42)
            try AtomicFile.write(Array(try manifest.yaml().utf8), to: directory + "/env_manifest.yaml")
        }
        let root = URL(fileURLWithPath: staging).deletingLastPathComponent().path
        try AtomicFile.write(Array("version: 1\n".utf8), to: root + "/assay.yaml")
        var configuration = Configuration(path: root + "/assay.yaml", root: root)
        configuration.environments = [
            .init(name: "staging", manifest: "staging/env_manifest.yaml", artifacts: "staging"),
            .init(name: "production", manifest: "production/env_manifest.yaml", artifacts: "production"),
        ]
        var findings = try EnvironmentsVerifier(configuration: configuration).verify()
        #expect(findings.map(\.status) == [.pass, .pass, .unverified])
        let drift = try #require(findings.last)
        #expect(drift.check == "Config Drift: staging vs production")
        #expect(drift.observed.contains("numpy 1.24.3 vs 1.24.2"))
        #expect(drift.statusLabel == "⚠️ Out of sync")

        try AtomicFile.write(Array("numpy==9.9.9\n".utf8), to: production + "/requirements.txt")
        findings = try EnvironmentsVerifier(configuration: configuration).verify()
        #expect(findings[1].status == .integrityFailure)
        #expect(findings[1].observed.contains("requirements.txt modified"))
    }
}
