import AssayCore
import AssayEnvironment
import Foundation
import AssayTestSupport
import Testing

@Suite struct DriftTests {
    /// A staging/production pair differing in one dependency version, one config key and one data file.
    static func pair() throws -> (String, String) {
        let root = try TestFiles.temporaryDirectory("assay-drift")
        for (side, numpy, batch, data) in [("staging", "1.24.3", 16, "3,4"), ("production", "1.24.2", 8, "3,5")] {
            let base = root + "/" + side
            try AtomicFile.write(Array("numpy==\(numpy)\nrequests==2.31.0\nscipy==1.11.4\n".utf8), to: base + "/requirements.txt")
            // Key order and formatting differ between the two; only batch_size differs in value.
            let config = side == "staging"
                ? "model:\n  name: mlp\n  batch_size: \(batch)\nseed: 42\n"
                : "seed: 42\nmodel: {batch_size: \(batch), name: mlp}\n"
            try AtomicFile.write(Array(config.utf8), to: base + "/config.yaml")
            for index in 0..<4 {
                try AtomicFile.write(Array("a,b\n1,2\n\(index == 2 ? data : "9,9")\n".utf8), to: base + "/data/part-\(index).csv")
            }
        }
        return (root + "/staging", root + "/production")
    }

    @Test func namesEveryMismatchWithDriftPerCategory() throws {
        let (staging, production) = try Self.pair()
        let report = try EnvironmentDiff().compare(staging, production)
        #expect(report.items.map(\.summary) == [
            "config.yaml /model/batch_size 16 → 8",
            "data/part-2.csv sha256:" + report.items[1].before!.dropFirst(7) + " → " + report.items[1].after!,
            "numpy 1.24.3 vs 1.24.2",
        ])
        let byCategory = Dictionary(uniqueKeysWithValues: report.categories.map { ($0.category, $0) })
        #expect(byCategory[.dependencies]?.total == 3 && byCategory[.dependencies]?.differing == 1)
        #expect(byCategory[.configs]?.total == 3 && byCategory[.configs]?.differing == 1)
        #expect(byCategory[.files]?.total == 4 && byCategory[.files]?.differing == 1)
        let expected = (100.0 / 3 + 100.0 / 3 + 25) / 3
        #expect(abs(report.overallPercent - expected) < 1e-9)
        #expect(!report.passes)
        // requirements.txt pins carry no hashes: 3 of 10 components are not verifiable.
        #expect(abs(report.coveragePercent - 70) < 1e-9)
    }

    @Test func identicalEnvironmentsAreInSyncAndGatesFail() throws {
        let (staging, _) = try Self.pair()
        #expect(try EnvironmentDiff().compare(staging, staging).passes)
        let (a, b) = try Self.pair()
        let gated = try EnvironmentDiff(gates: ["numpy"], thresholdPercent: 100).compare(a + "/requirements.txt", b + "/requirements.txt")
        #expect(gated.gatedItems.map(\.component) == ["numpy"])
        #expect(!gated.passes)
        #expect(try EnvironmentDiff(thresholdPercent: 100).compare(a + "/requirements.txt", b + "/requirements.txt").passes)
    }

    @Test func canonicalDigestIgnoresKeyOrderAndFormatting() throws {
        let directory = try TestFiles.temporaryDirectory("assay-canon")
        try AtomicFile.write(Array("b: 1\na:\n  - x\n  - {d: 2.50, c: true}\n".utf8), to: directory + "/one.yaml")
        try AtomicFile.write(Array(#"{"a": ["x", {"c": true, "d": 2.5}], "b": 1}"#.utf8), to: directory + "/two.json")
        try AtomicFile.write(Array("b = 1\na = [\"x\", { c = true, d = 2.5 }]\n".utf8), to: directory + "/three.toml")
        let one = try ConfigDocument.read(path: directory + "/one.yaml")
        let two = try ConfigDocument.read(path: directory + "/two.json")
        let three = try ConfigDocument.read(path: directory + "/three.toml")
        #expect(one.canonicalSHA256 == two.canonicalSHA256)
        #expect(two.canonicalSHA256 == three.canonicalSHA256)
        #expect(one.rawSHA256 != two.rawSHA256)
        #expect(CanonicalJSON.serialize(one.value) == #"{"a":["x",{"c":true,"d":2.5}],"b":1}"#)
    }

    @Test func yamlFollowsTheCoreSchema() throws {
        let directory = try TestFiles.temporaryDirectory("assay-yaml")
        try AtomicFile.write(Array("norway: no\nflag: yes\nreal: true\nmode: 0755\noctal: 0o755\nday: 2024-01-01\nref: &x 3\ncopy: *x\n".utf8), to: directory + "/c.yaml")
        let value = try ConfigDocument.read(path: directory + "/c.yaml").value
        #expect(value["norway"] == .string("no"))
        #expect(value["flag"] == .string("yes"))
        #expect(value["real"] == .bool(true))
        #expect(value["mode"] == .number(755))
        #expect(value["octal"] == .number(493))
        #expect(value["day"] == .string("2024-01-01"))
        #expect(value["copy"] == .number(3))
        try AtomicFile.write(Array("a: 1\na: 2\n".utf8), to: directory + "/dup.yaml")
        #expect(throws: LockfileError.self) { try ConfigDocument.read(path: directory + "/dup.yaml") }
    }

    /// Number serialization examples from RFC 8785 (JCS) and ECMAScript.
    @Test(arguments: [
        (1e30, "1e+30"), (4.50, "4.5"), (2e-3, "0.002"), (1e-27, "1e-27"), (1e-7, "1e-7"), (1e-6, "0.000001"),
        (1e21, "1e+21"), (1e20, "100000000000000000000"), (Double.leastNonzeroMagnitude, "5e-324"), (333333333.33333329, "333333333.3333333"),
        (-0.0, "0"), (9007199254740992, "9007199254740992"), (-1.5e-9, "-1.5e-9"), (1.2345678901234568e20, "123456789012345680000"),
    ])
    func ecmaScriptNumbers(_ value: Double, _ expected: String) {
        #expect(CanonicalJSON.number(value) == expected)
    }

    @Test func stringsAreEscapedMinimally() {
        #expect(CanonicalJSON.serialize(.string("a\"b\\c\n\u{01}é€")) == "\"a\\\"b\\\\c\\n\\u0001é€\"")
    }
}
