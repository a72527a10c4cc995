import AssayCore
import AssayEnvironment
import AssayTestSupport
import Foundation
import Testing

@Suite struct SBOMTests {
    static func write(_ document: JSONValue, to path: String) throws {
        try AtomicFile.write(Array(try JSONCoding.encoder(pretty: true).encode(document)), to: path)
    }

    /// Validates with CycloneDX's own validator (cyclonedx-python-lib, PyPI) against the official 1.5 JSON schema,
    /// in one Python process; returns one line per document, "valid" or the validator's complaint.
    static func validate(_ paths: [String]) throws -> [String] {
        let script = """
            import sys
            from cyclonedx.schema import SchemaVersion
            from cyclonedx.validation.json import JsonStrictValidator
            validator = JsonStrictValidator(SchemaVersion.V1_5)
            for path in sys.argv[1:]:
                error = validator.validate_str(open(path).read())
                print(repr(str(error)) if error else "valid")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + paths
        let (stdout, stderr) = try ExternalTool.capture(process)
        try #require(
            process.terminationStatus == 0,
            "cyclonedx-python-lib is needed: pip install 'cyclonedx-python-lib[json-validation]' (\(String(decoding: stderr, as: UTF8.self).suffix(300)))")
        return String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Real lockfiles of every ecosystem with local, VCS and URL dependencies, and an environment directory with an
    /// OCI image, a model and a dataset: each SBOM validates against the official CycloneDX 1.5 schema.
    @Test(.enabled(
        if: ExternalTool.pythonModulesAvailable(["cyclonedx.validation.json"]) && ExternalTool.available(["umoci"]),
        "needs cyclonedx-python-lib (pip install 'cyclonedx-python-lib[json-validation]') and umoci (apt-get install umoci)"))
    func sbomsValidateAgainstTheCycloneDXSchema() throws {
        let directory = try TestFiles.temporaryDirectory("sbom")
        let names = [
            "package-lock.path-deps.json", "package-lock.v3.json", "requirements-freeze-editable.txt", "poetry.lock", "uv.lock",
            "conda-lock.yml", "Cargo.lock", "go.sum", "Pipfile.lock", "yarn-v1.head.lock", "yarn-berry.head.lock", "pnpm-lock.v9.head.yaml", "pylock.uv.toml", "pdm-4.5.head.lock",
        ]
        let formats: [String: LockfileFormat] = ["yarn-v1.head.lock": .yarnLock, "yarn-berry.head.lock": .yarnLock, "pnpm-lock.v9.head.yaml": .pnpmLock, "pdm-4.5.head.lock": .pdmLock]
        for name in names {
            try Self.write(try SBOM.document(for: try LockfileTests.fixture(name), format: formats[name]), to: directory + "/\(name).cdx.json")
        }
        let environment = try ManifestTests.workspace()
        let build = try TestFiles.temporaryDirectory("sbom-image")
        try ExternalTool.buildImage(in: build)
        try FileManager.default.moveItem(atPath: build + "/img", toPath: environment + "/image")
        let document = try SBOM.document(for: environment)
        try Self.write(document, to: directory + "/env.cdx.json")
        // The validator is no rubber stamp: a hash of the wrong length is refused.
        let broken = String(decoding: try JSONCoding.encoder().encode(document), as: UTF8.self)
            .replacingOccurrences(of: #""alg":"SHA-256","content":""#, with: #""alg":"SHA-256","content":"00"#)
        try AtomicFile.write(Array(broken.utf8), to: directory + "/broken.cdx.json")
        let verdicts = try Self.validate((names + ["env", "broken"]).map { directory + "/\($0).cdx.json" })
        #expect(verdicts.dropLast() == Array(repeating: "valid", count: names.count + 1), "\(zip(names + ["env"], verdicts).filter { $0.1 != "valid" })")
        #expect(verdicts.last?.contains("does not match") == true, "\(verdicts.last ?? "")")
        let types = (document["components"]?.elements ?? []).compactMap { $0["type"]?.string }
        #expect(Set(types).isSuperset(of: ["container", "machine-learning-model", "data", "file", "library"]))
    }

    /// Packages keep their purl, hashes and source; the serial number depends on the content only.
    @Test func sbomContentOfALockfile() throws {
        let path = try LockfileTests.fixture("package-lock.path-deps.json")
        let document = try SBOM.document(for: path, now: Date(timeIntervalSince1970: 0))
        #expect(document["specVersion"]?.string == "1.5")
        let components = document["components"]?.elements ?? []
        #expect(components.count == 3)
        let tarball = try #require(components.first { $0["name"]?.string == "tarpkg" })
        #expect(tarball["purl"] == nil)
        #expect(tarball["hashes"]?.elements?.first?["alg"]?.string == "SHA-512")
        let polyfill = try #require(components.first { $0["name"]?.string == "pending-beacon-polyfill" })
        let properties = (polyfill["properties"]?.elements ?? []).compactMap { p in p["name"]?.string.map { ($0, p["value"]?.string ?? "") } }
        #expect(properties.contains { $0 == ("assay:unpinned", "true") } && properties.contains { $0 == ("assay:source", "link") })
        let later = try SBOM.document(for: path, now: Date(timeIntervalSince1970: 86_400))
        #expect(later["serialNumber"] == document["serialNumber"])
        #expect(later["metadata"]?["timestamp"] != document["metadata"]?["timestamp"])

        let registry = try SBOM.document(for: try LockfileTests.fixture("requirements-hashes-cocotools-test.txt"))
        let purls = (registry["components"]?.elements ?? []).compactMap { $0["purl"]?.string }
        #expect(purls.contains { $0.hasPrefix("pkg:pypi/") && $0.contains("@") })
    }

    /// `env diff` reads two SBOMs: a version change and a changed file digest are named.
    @Test func diffOfTwoSBOMs() throws {
        let directory = try TestFiles.temporaryDirectory("sbom-diff")
        let staging = directory + "/staging"
        let production = directory + "/production"
        for (root, numpy) in [(staging, "1.24.3"), (production, "1.24.2")] {
            try AtomicFile.write(Array("numpy==\(numpy)\nscipy==1.11.4\n".utf8), to: root + "/requirements.txt")
            try AtomicFile.write(Array((root == staging ? "a" : "b").utf8), to: root + "/model.onnx")
            try Self.write(try SBOM.document(for: root), to: root + ".cdx.json")
        }
        let report = try EnvironmentDiff().compare(staging + ".cdx.json", production + ".cdx.json")
        #expect(report.items.map(\.summary).contains("numpy 1.24.3 vs 1.24.2"))
        #expect(report.items.contains { $0.component == "model.onnx" && $0.change == .changed })
        #expect(!report.passes)
        let same = try EnvironmentDiff().compare(staging + ".cdx.json", staging + ".cdx.json")
        #expect(same.items.isEmpty && same.passes)
    }

    /// `env diff` reads two manifests: equal content digests, or the components that differ.
    @Test func diffOfTwoManifests() throws {
        let root = try ManifestTests.workspace()
        let directory = try TestFiles.temporaryDirectory("manifest-diff")
        let first = try EnvironmentManifest.snapshot(root: root, seed: 1, now: Date(timeIntervalSince1970: 0))
        let second = try EnvironmentManifest.snapshot(root: root, seed: 1)
        try AtomicFile.write(Array(try first.yaml().utf8), to: directory + "/a.yaml")
        try AtomicFile.write(Array(try second.yaml().utf8), to: directory + "/b.yaml")
        let same = try EnvironmentDiff().compare(directory + "/a.yaml", directory + "/b.yaml")
        #expect(same.manifestDigests?[0] == same.manifestDigests?[1] && same.items.isEmpty)
        try AtomicFile.write(Array("weights!".utf8), to: root + "/model/weights.bin")
        let changed = try EnvironmentManifest.snapshot(root: root, seed: 2)
        try AtomicFile.write(Array(try changed.yaml().utf8), to: directory + "/c.yaml")
        let report = try EnvironmentDiff().compare(directory + "/a.yaml", directory + "/c.yaml")
        #expect(report.items.map(\.component).sorted() == ["model", "runtime /seed"])
    }
}
