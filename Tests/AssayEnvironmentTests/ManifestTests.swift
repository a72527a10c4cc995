import AssayCore
import AssayEnvironment
import AssayTestSupport
import Foundation
import Testing

@Suite struct ManifestTests {
    static func workspace() throws -> String {
        let root = try TestFiles.temporaryDirectory("assay-manifest")
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

    /// The digest covers content only: two snapshots of an unchanged tree, at different times and with or
    /// without a stat cache, have the same digest; a changed byte changes it.
    @Test func digestIsStableAcrossSnapshotsOfAnUnchangedTree() throws {
        let root = try Self.workspace()
        let cache = StatCache()
        let first = try EnvironmentManifest.snapshot(root: root, seed: 42, now: Date(timeIntervalSince1970: 0), cache: cache)
        let second = try EnvironmentManifest.snapshot(root: root, seed: 42, now: Date(timeIntervalSince1970: 86_400), cache: cache)
        let uncached = try EnvironmentManifest.snapshot(root: root, seed: 42, now: Date())
        #expect(first.createdAt != second.createdAt)
        #expect(first.digest == second.digest && second.digest == uncached.digest)
        #expect(try second.computedDigest() == first.digest)
        try AtomicFile.write(Array("weights!".utf8), to: root + "/model/weights.bin")
        #expect(try EnvironmentManifest.snapshot(root: root, seed: 42, cache: cache).digest != first.digest)
        // The digest is over exactly what Codable writes (less created_at and host), canonicalized.
        var copy = first
        copy.digest = nil
        copy.host = nil
        copy.root = nil
        var written = try #require(JSONValue.parse(Array(try JSONCoding.encoder().encode(copy))))
        if case .object(var members) = written {
            members["created_at"] = nil
            written = .object(members)
        }
        #expect("sha256:" + FileDigest.sha256(of: Array(CanonicalJSON.serialize(written).utf8)) == first.digest)
    }

    /// Nothing is written inside the audited tree, and a tree that cannot be written snapshots.
    @Test func snapshotLeavesTheTreeUntouchedAndWorksReadOnly() throws {
        let root = try Self.workspace()
        func listing() throws -> [String] {
            try FileManager.default.subpathsOfDirectory(atPath: root).sorted().map { path in
                let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + path)
                return "\(path) \(attributes[.size] ?? 0) \((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
            }
        }
        let before = try listing()
        let cacheDirectory = try TestFiles.temporaryDirectory("stat-cache")
        let cachePath = StatCache.defaultPath(forRoot: root, environment: ["XDG_CACHE_HOME": cacheDirectory])
        #expect(cachePath.hasPrefix(cacheDirectory + "/assay/stat-cache/"))
        let cache = StatCache(path: cachePath)
        let manifest = try EnvironmentManifest.snapshot(root: root, seed: 1, cache: cache)
        try cache.save()
        #expect(try listing() == before)
        #expect(StatCache(path: cachePath).count == 4)

        // Read-only: every directory 0555, every file 0444 (root ignores modes, so the test also checks the
        // snapshot never opens anything for writing by comparing the listing).
        for path in try FileManager.default.subpathsOfDirectory(atPath: root) + [""] {
            let full = path.isEmpty ? root : root + "/" + path
            try FileManager.default.setAttributes([.posixPermissions: EnvironmentDiff.isDirectory(full) ? 0o555 : 0o444], ofItemAtPath: full)
        }
        defer {
            for path in (try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? [] {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root + "/" + path)
            }
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root)
        }
        let readOnlyListing = try listing()
        let readOnly = try EnvironmentManifest.snapshot(root: root, seed: 1, cache: StatCache(path: cachePath))
        // Modes are content (the tree digest covers them), and chmod changed every ctime: nothing stale is reused.
        #expect(readOnly.digest != manifest.digest)
        #expect(readOnly.digest == (try EnvironmentManifest.snapshot(root: root, seed: 1)).digest)
        #expect(try listing() == readOnlyListing)
    }

    /// A top-level entry that cannot be stat'ed is named, not left out of the manifest.
    @Test func danglingTopLevelLinkIsAnError() throws {
        let root = try Self.workspace()
        try FileManager.default.createSymbolicLink(atPath: root + "/weights.pt", withDestinationPath: root + "/gone.pt")
        #expect(throws: TreeDigestError(path: root, problems: ["weights.pt: cannot stat: No such file or directory"])) {
            try EnvironmentManifest.snapshot(root: root, seed: 1)
        }
    }

    /// A lockfile that cannot be read stops the snapshot with its located error instead of passing as a plain file.
    @Test func malformedLockfileIsAnError() throws {
        let root = try Self.workspace()
        try AtomicFile.write(Array("numpy==1.24.3\n==2.0\n".utf8), to: root + "/requirements.txt")
        #expect(throws: LockfileError(path: "requirements.txt", line: 2, expected: "a requirement such as name==1.2.3 or name>=1.2 (PEP 508), got '==2.0'")) {
            try EnvironmentManifest.snapshot(root: root, seed: 1)
        }
    }

    /// A v1 manifest (its digest covered created_at) still verifies as intact.
    @Test func legacyManifestsStillVerify() throws {
        let root = try Self.workspace()
        var manifest = try EnvironmentManifest.snapshot(root: root, seed: 1)
        manifest.schema = EnvironmentManifest.legacySchema
        manifest.host = nil
        manifest.digest = try manifest.computedDigest()
        try AtomicFile.write(Array(try manifest.yaml().utf8), to: root + "/old.yaml")
        let read = try EnvironmentManifest.read(path: root + "/old.yaml")
        #expect(try read.verify(root: root).manifestIntact)
        var later = read
        later.createdAt = "2030-01-01T00:00:00Z"
        #expect(try later.computedDigest() != read.digest)
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
        var settings = EnvironmentSettings(workspace: WorkspaceRoot(root: root, configurationPath: root + "/assay.yaml"))
        settings.environments = [
            .init(name: "staging", manifest: "staging/env_manifest.yaml", artifacts: "staging"),
            .init(name: "production", manifest: "production/env_manifest.yaml", artifacts: "production"),
        ]
        var findings = try EnvironmentsVerifier(settings: settings).verify()
        #expect(findings.map(\.status) == [.pass, .pass, .unverified])
        let drift = try #require(findings.last)
        #expect(drift.check == "Config Drift: staging vs production")
        #expect(drift.observed.contains("numpy 1.24.3 vs 1.24.2"))
        #expect(drift.statusLabel == "⚠️ Out of sync")

        try AtomicFile.write(Array("numpy==9.9.9\n".utf8), to: production + "/requirements.txt")
        findings = try EnvironmentsVerifier(settings: settings).verify()
        #expect(findings[1].status == .integrityFailure)
        #expect(findings[1].observed.contains("requirements.txt modified"))
    }
}
