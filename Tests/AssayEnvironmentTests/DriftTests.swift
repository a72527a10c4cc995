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

/// Packages are compared by identity (name, version and source within a qualifier), so a name locked at several
/// versions is compared version by version, and a flag that flips is its own kind of difference.
@Suite struct PackageIdentityDriftTests {
    static func pair(_ name: String, _ change: (String) -> String) throws -> (String, String) {
        let text = try String(contentsOfFile: try TestFiles.fixture(name, in: .module), encoding: .utf8)
        let root = try TestFiles.temporaryDirectory("assay-identity")
        try AtomicFile.write(Array(text.utf8), to: root + "/a/" + name.replacingOccurrences(of: ".v3", with: ""))
        let changed = change(text)
        #expect(changed != text, "the edit must change the file")
        try AtomicFile.write(Array(changed.utf8), to: root + "/b/" + name.replacingOccurrences(of: ".v3", with: ""))
        return (root + "/a", root + "/b")
    }

    /// The real go.sum locks golang.org/x/net at two versions; bumping the one with a module hash (as a go get does,
    /// new pseudo-version and hash) is named, where comparing by name alone saw the unchanged first version.
    @Test func aBumpedVersionOfANameLockedTwiceIsNamed() throws {
        let (a, b) = try Self.pair("go.sum") {
            $0.replacingOccurrences(of: "golang.org/x/net v0.0.0-20210614182718-04defd469f4e h1:XpT3nA5TvE525Ne3hInMh6+GETgn27Zfm9d",
                                    with: "golang.org/x/net v0.0.0-20220722155237-a158d28d115b h1:PxfKdU9lEEDYjdIzOtC4qFWgkU2rGHdfLrY")
                .replacingOccurrences(of: "golang.org/x/net v0.0.0-20210614182718-04defd469f4e/go.mod",
                                      with: "golang.org/x/net v0.0.0-20220722155237-a158d28d115b/go.mod")
        }
        let report = try EnvironmentDiff().compare(a, b)
        #expect(report.items.map(\.summary) == ["golang.org/x/net v0.0.0-20210614182718-04defd469f4e vs v0.0.0-20220722155237-a158d28d115b"])
        #expect(!report.passes)
        // Drift counts names, as before: one of the file's 9 module names (11 module versions) differs.
        let dependencies = try #require(report.categories.first { $0.category == .dependencies })
        #expect(dependencies.total == 9 && dependencies.differing == 1)
    }

    /// A second version added beside the first, and one of two removed, are additions and removals of that version.
    @Test func aSecondVersionAddedOrRemovedIsNamedByVersion() throws {
        let (a, b) = try Self.pair("go.sum") {
            $0 + "github.com/spf13/pflag v1.0.6 h1:jFzHGLGAlb3ruxLB8MhbI6A8+AQX/2eW4qeyNZXNp2o=\n"
        }
        #expect(try EnvironmentDiff().compare(a, b).items.map(\.summary) == ["github.com/spf13/pflag added (v1.0.6)"])
        let (c, d) = try Self.pair("go.sum") {
            $0.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("golang.org/x/sys v0.0.0-20201119102817") }
                .joined(separator: "\n")
        }
        #expect(try EnvironmentDiff().compare(c, d).items.map(\.summary) == ["golang.org/x/sys removed (was v0.0.0-20201119102817-f84b799fce68)"])
    }

    /// npm's dev flag flipping on one package (a real package-lock v3) is one flag change, not a removal and an addition.
    @Test func aFlagThatFlipsIsItsOwnDifference() throws {
        let (a, b) = try Self.pair("package-lock.v3.json") {
            $0.replacingOccurrences(
                of: "\"integrity\": \"sha512-locTkQyKvwIEgBzVrn8693ebc97F2U8ZHjbXwDXJ5Fn2TCpNwTlKcaKLkdHop5c/icOFE7qt7Q9JC5hnKNa6Gg==\",\n      \"dev\": true,",
                with: "\"integrity\": \"sha512-locTkQyKvwIEgBzVrn8693ebc97F2U8ZHjbXwDXJ5Fn2TCpNwTlKcaKLkdHop5c/icOFE7qt7Q9JC5hnKNa6Gg==\",")
        }
        let report = try EnvironmentDiff().compare(a, b)
        #expect(report.items.map(\.summary) == ["@babel/compat-data 7.29.7 marked dev → no qualifier"])
        #expect(report.items.first?.change == .flag)
    }
}

/// Cargo.lock locks a crate at two versions when two dependents need incompatible ones (anstream 0.3 and 0.6 in
/// clap-based trees, as cargo writes them); bumping one is named, the other stays unchanged.
@Suite struct CargoDuplicateDriftTests {
    static func lock(_ newer: String) -> String {
        """
        # This file is automatically @generated by Cargo.
        # It is not intended for manual editing.
        version = 4

        [[package]]
        name = "anstream"
        version = "0.3.2"
        source = "registry+https://github.com/rust-lang/crates.io-index"
        checksum = "0ca84f3628370c59db74ee214b3263d58f9aadd9b4fe7e711fd87dc452b7f163"

        [[package]]
        name = "anstream"
        version = "\(newer)"
        source = "registry+https://github.com/rust-lang/crates.io-index"
        checksum = "\(newer == "0.6.18" ? "8acc5369981196006228e28809f761875c0327210a891e941f4c683b3a99529b" : "43d5b281e737544384e969a5ccad3f1cdd24b48086a0fc1b2a5262a26b8f4f4a")"

        """
    }

    @Test func aBumpedOneOfTwoCrateVersionsIsNamed() throws {
        let root = try TestFiles.temporaryDirectory("assay-cargo-dup")
        try AtomicFile.write(Array(Self.lock("0.6.18").utf8), to: root + "/a/Cargo.lock")
        try AtomicFile.write(Array(Self.lock("0.6.19").utf8), to: root + "/b/Cargo.lock")
        let report = try EnvironmentDiff().compare(root + "/a", root + "/b")
        #expect(report.items.map(\.summary) == ["anstream 0.6.18 vs 0.6.19"])
        #expect(!report.passes)
    }
}
