import AssayCore
import AssayEnvironment
import AssayTestSupport
import Foundation
import Testing

@Suite struct LockfileTests {
    static func fixture(_ name: String) throws -> String {
        try TestFiles.fixture(name, in: .module)
    }

    static func parse(_ name: String, _ format: LockfileFormat? = nil) throws -> Lockfile {
        try LockfileParser.parse(path: try fixture(name), displayPath: name, format: format)
    }

    func package(_ lockfile: Lockfile, _ name: String) throws -> LockedPackage {
        try #require(lockfile.packages.first { $0.name == name })
    }

    @Test func requirementsWithHashesAndViaComments() throws {
        let lock = try Self.parse("requirements-hashes-cocotools-test.txt")
        #expect(lock.format == .requirements)
        let numpy = try package(lock, "numpy")
        #expect(numpy.version == "1.24.3")
        #expect(numpy.hashes.count > 10 && numpy.hashes.allSatisfy { $0.hasPrefix("sha256:") })
        #expect(try package(lock, "attrs").direct == false)
        #expect(try package(lock, "hypothesis").direct == true)
        #expect(lock.sha256 == FileDigest.sha256(of: try Data(contentsOf: URL(fileURLWithPath: try Self.fixture("requirements-hashes-cocotools-test.txt")))))
    }

    @Test func pipfileLock() throws {
        let lock = try Self.parse("Pipfile.lock")
        #expect(lock.specHash == "sha256:1f15c8b0963f8bf90ad060a72bbd0ff695f243fb3853087902660ba094065c5c")
        #expect(try package(lock, "exceptiongroup").version == "1.3.1")
        #expect(try package(lock, "iniconfig").hashes.count == 2)
    }

    /// Poetry 1.1's layout: hashes in one [metadata.files] table keyed by package, dev packages by category.
    @Test func poetryLockOldLayout() throws {
        let lock = try Self.parse("poetry-1.1.lock.toml", .poetryLock)
        #expect(lock.specHash == "sha256:35ad32bbadb71ad906059de9981d2803a13d22a31ac9c425219b11380c9abb54")
        let requests = try package(lock, "requests")
        #expect(requests.version == "2.31.0" && requests.qualifier == nil)
        #expect(!requests.hashes.isEmpty && requests.hashes.allSatisfy { $0.hasPrefix("sha256:") })
        #expect(try package(lock, "six").qualifier == "dev")
        #expect(try package(lock, "charset-normalizer").hashes.count > 10)
        #expect(lock.packages.allSatisfy { !$0.hashes.isEmpty })
    }

    @Test func poetryLock() throws {
        let lock = try Self.parse("poetry.lock")
        #expect(lock.specHash == "sha256:7930401643bf28f5781f0168a831ecc466782ecc83f8310d7be7b80dc486795a")
        let attrs = try package(lock, "attrs")
        #expect(attrs.version == "25.4.0")
        #expect(attrs.hashes == [
            "sha256:adcf7e2a1fb3b36ac48d97835bb6d8ade15b8dcce26aba8bf1d14847b57a3373",
            "sha256:16d5969b87f0859ef33a48b35d55ac1be6e42ae49d5e853b597db70c35c57e11",
        ])
        #expect(attrs.qualifier == "dev")
    }

    @Test func uvLockMarksDirectDependencies() throws {
        let lock = try Self.parse("uv.lock")
        let flask = try package(lock, "flask")
        #expect(flask.version == "3.1.3")
        #expect(flask.direct == true)
        #expect(try package(lock, "blinker").direct == false)
        #expect(flask.hashes.first == "sha256:0ef0e52b8a9cd932855379197dd8f94047b359ca0a78695144304cb45f87c9eb")
    }

    @Test func condaEnvironmentAndLock() throws {
        let environment = try Self.parse("environment.yml")
        #expect(try package(environment, "python").version == "3.10")
        #expect(try package(environment, "qiskit").version == "1.1.0")
        let lock = try Self.parse("conda-lock.yml")
        #expect(lock.specHash?.contains("linux-64:20bb243ce57b4b9d5e805565fada6d129d6376aa5761e9adb45b8531df5ae4e9") == true)
        let mutex = try #require(lock.packages.first { $0.name == "_libgcc_mutex" && $0.qualifier == "linux-64" })
        #expect(mutex.version == "0.1")
        #expect(mutex.hashes == ["sha256:476626712f60e5ef0fe04c354727152b1ee5285d57ccd3575c7be930122bd051", "md5:c3473ff8bdb3d124ed5ff11ec380d6f9"])
    }

    @Test(arguments: ["package-lock.v1.json", "package-lock.v3.json"])
    func npmPackageLocks(_ name: String) throws {
        let lock = try Self.parse(name, .npmPackageLock)
        #expect(lock.packages.count > 100)
        #expect(lock.packages.allSatisfy { !$0.version.isEmpty })
        let withIntegrity = lock.packages.filter { !$0.hashes.isEmpty }
        #expect(withIntegrity.count * 10 >= lock.packages.count * 9)
        #expect(withIntegrity.allSatisfy { $0.hashes.allSatisfy { $0.hasPrefix("sha512:") || $0.hasPrefix("sha1:") } })
    }

    /// v2 carries both layouts; a file: dependency is a link to the folder's own entry, with no integrity.
    @Test func npmPackageLockV2WithLocalFolder() throws {
        let lock = try Self.parse("package-lock.v2.json", .npmPackageLock)
        #expect(lock.packages.count == 1)
        let lib = try package(lock, "lib")
        #expect(lib.version == "1.2.0" && lib.direct == true && lib.qualifier == "local:../lib" && lib.hashes.isEmpty)
    }

    /// Every installed package of a real npm lockfile is counted: a local folder without a version is kept as
    /// an unpinned link (it used to be dropped), a local tarball with its integrity is a pinned path.
    @Test func npmLocalDependenciesAreNeverDropped() throws {
        let lock = try Self.parse("package-lock.path-deps.json")
        let text = try String(contentsOfFile: try Self.fixture("package-lock.path-deps.json"), encoding: .utf8)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let inFile = try #require(document["packages"] as? [String: Any]).keys.filter { $0.contains("node_modules/") }
        #expect(lock.packages.count == inFile.count)
        let polyfill = try package(lock, "pending-beacon-polyfill")
        #expect(polyfill.version == "*" && polyfill.unpinned && polyfill.direct == true)
        #expect(polyfill.source == .init(kind: .link, location: "../../vendor/pending-beacon-polyfill", pinned: false))
        #expect(try package(lock, "lib").version == "1.2.0")
        let tarball = try package(lock, "tarpkg")
        #expect(tarball.source?.kind == .path && tarball.source?.pinned == true && !tarball.unpinned)
    }

    /// `pip freeze` with an editable VCS install and a local folder: each line is a package, with its source.
    @Test func pipEditableAndDirectReferencesAreKept() throws {
        let lock = try Self.parse("requirements-freeze-editable.txt")
        let text = try String(contentsOfFile: try Self.fixture("requirements-freeze-editable.txt"), encoding: .utf8)
        #expect(lock.packages.count == text.split(separator: "\n").count)
        let editable = try package(lock, "tokfix")
        #expect(editable.source?.kind == .git && editable.source?.pinned == true && editable.version.count == 40)
        let local = try package(lock, "localpkg")
        #expect(local.source?.kind == .path && local.unpinned)
        #expect(try package(lock, "six").source == nil)
    }

    /// conda's pip: section reads the same requirements; a line that cannot be read is an error, not skipped.
    @Test func condaPipSectionKeepsEditablesAndReportsBadLines() throws {
        let directory = try TestFiles.temporaryDirectory("lockfile")
        let path = directory + "/environment.yml"
        try AtomicFile.write(
            Array("dependencies:\n  - python=3.11\n  - pip:\n      - -e ./src/tokfix\n      - torch @ https://download.invalid/torch-2.3.0-cp311-linux_x86_64.whl#sha256=\(String(repeating: "ab", count: 32))\n".utf8),
            to: path)
        let lock = try LockfileParser.parse(path: path)
        #expect(lock.packages.map(\.name) == ["python", "tokfix", "torch"])
        #expect(try package(lock, "tokfix").unpinned)
        #expect(try package(lock, "torch").source?.pinned == true)
        try AtomicFile.write(Array("dependencies:\n  - pip:\n      - ==1.0\n".utf8), to: path)
        #expect(throws: LockfileError(path: path, line: 3, expected: "a requirement such as name==1.2.3 or name>=1.2 (PEP 508), got '==1.0'")) { try LockfileParser.parse(path: path) }
    }

    @Test func swiftPackageResolvedV3() throws {
        // Stored under another name: git ignores every Package.resolved.
        let lock = try Self.parse("swiftpm-Package.resolved.json", .swiftPackageResolved)
        #expect(lock.specHash?.count == 64)
        #expect(try package(lock, "yams").version == "6.2.2")
        #expect(try package(lock, "yams").hashes.first?.hasPrefix("git:") == true)
    }

    @Test func cargoLock() throws {
        let lock = try Self.parse("Cargo.lock")
        #expect(lock.packages.map { "\($0.name) \($0.version)" } == ["app 0.3.1", "util 1.2.0"])
    }

    /// A real go.sum: module hashes and go.mod-only entries (modules Go needed only for their go.mod).
    @Test func goSum() throws {
        let lock = try Self.parse("go.sum")
        #expect(lock.packages.count == 11)
        let goquery = try #require(lock.packages.first { $0.name == "github.com/PuerkitoBio/goquery" })
        #expect(goquery.version == "v1.7.1")
        #expect(goquery.hashes == ["h1:oE+T06D+1T7LNrn91B4aERsRIeCLJ/oPSa6xB9FPnz4=", "go.mod:h1:XY0pP4kfraEmmV1O7Uf6XyjoslwsneBbgeDjLYuN8xY="])
        #expect(lock.packages.first { $0.name == "github.com/logrusorgru/aurora" }?.version == "v2.0.3+incompatible")
        let modOnly = lock.packages.filter { $0.hashes.allSatisfy { $0.hasPrefix("go.mod:") } }
        #expect(modOnly.count == 6)
        #expect(lock.packages.map(\.name) == lock.packages.map(\.name).sorted())
        let path = try TestFiles.temporaryDirectory("assay-go") + "/go.sum"
        try AtomicFile.write(Array("golang.org/x/text v0.3.0\n".utf8), to: path)
        #expect(throws: LockfileError(path: path, line: 1, expected: "module version hash, e.g. golang.org/x/text v0.3.6 h1:…=")) { try LockfileParser.parse(path: path) }
    }

    @Test func brokenFilesAreLocatedErrors() throws {
        let directory = try TestFiles.temporaryDirectory("assay-lock")
        try AtomicFile.write(Array("[[package]]\nname = \"x\"\nversion = 1.0.0.0\n".utf8), to: directory + "/poetry.lock")
        #expect { try LockfileParser.parse(path: directory + "/poetry.lock") } throws: { error in
            (error as? LockfileError)?.line == 3
        }
        try AtomicFile.write(Array("{\"packages\": 3".utf8), to: directory + "/package-lock.json")
        #expect(throws: LockfileError.self) { try LockfileParser.parse(path: directory + "/package-lock.json") }
    }

    /// Python's tomllib (the reference parser) and ours agree on real TOML lockfiles.
    @Test(arguments: ["poetry.lock", "uv.lock", "Cargo.lock", "pylock.pip.toml"])
    func tomlAgreesWithPythonTomllib(_ name: String) throws {
        let path = try Self.fixture(name)
        let ours = try TOMLParser.parse(try String(contentsOfFile: path, encoding: .utf8))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import tomllib, json, sys; print(json.dumps(tomllib.load(open(sys.argv[1], 'rb')), default=str))", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(JSONValue.parse(Array(output)) == ours)
    }

    @Test func tomlSyntax() throws {
        let value = try TOMLParser.parse(#"""
            # comment
            title = "TOML \"x\" \u00e9"
            literal = 'C:\path'
            multi = """
            one \
              two"""
            ints = [1_000, 0x1f, -3, +4]
            floats = [1.5, -2e3, inf]
            date = 1979-05-27T07:32:00Z
            inline = { a.b = 1, c = [true, false] }
            [server."alpha.beta"]
            ip = "10.0.0.1"
            [[products]]
            name = "a"
            [[products]]
            name = "b"
            [products.meta]
            x = 1
            """#)
        #expect(value["title"] == .string("TOML \"x\" é"))
        #expect(value["literal"] == .string(#"C:\path"#))
        #expect(value["multi"] == .string("one two"))
        #expect(value["ints"] == .array([.number(1000), .number(31), .number(-3), .number(4)]))
        #expect(value["date"] == .string("1979-05-27T07:32:00Z"))
        #expect(value["inline"]?["a"]?["b"] == .number(1))
        #expect(value["server"]?["alpha.beta"]?["ip"] == .string("10.0.0.1"))
        #expect(value["products"] == .array([.object(["name": .string("a")]), .object(["name": .string("b"), "meta": .object(["x": .number(1)])])]))
        #expect(throws: TOMLError.self) { try TOMLParser.parse("a = 1\na = 2\n") }
        #expect(throws: TOMLError.self) { try TOMLParser.parse("a = \"unterminated\n") }
    }
}

/// Files that are not what their names say are refused with their line and what was expected, and specifiers are
/// read as the ecosystems write them. The inputs are the cases real repositories showed (a model card saved as
/// .txt, a go.sum with a stray line, an environment.yml with conda and pip specifiers), cut to the lines that matter.
@Suite struct LockfileRefusalTests {
    static func write(_ text: String, _ name: String) throws -> String {
        let path = try TestFiles.temporaryDirectory("assay-refuse") + "/" + name
        try AtomicFile.write(Array(text.utf8), to: path)
        return path
    }

    func refused(_ text: String, _ name: String, line: Int, saying words: String) throws {
        let path = try Self.write(text, name)
        #expect {
            try LockfileParser.parse(path: path)
        } throws: { error in
            guard let error = error as? LockfileError else { return false }
            return error.line == line && error.expected.contains(words)
        }
    }

    @Test func proseInATxtFileIsRefused() throws {
        try refused(
            "# Model card\n\nThis model reaches 91% accuracy.\nSee example.com for details.\n", "model_card.txt", line: 3, saying: "PEP 508")
    }

    @Test func aSingleEqualsSignIsNotAPin() throws {
        try refused("numpy==1.26.4\ntorch=2.1.0\n", "requirements.txt", line: 2, saying: "name==1.2.3")
    }

    @Test func aGoSumLineThatIsNotModuleVersionHashIsRefused() throws {
        try refused("golang.org/x/text v0.3.6 h1:aRYxNxv6iGQlyVaZmk6ZgYEDa+Jg18DxebPSrd6bg1M=\ngarbage line here\n", "go.sum", line: 2, saying: "module version hash")
    }

    @Test func requirementSpecifiersAreKeptAsWritten() throws {
        let path = try Self.write(
            "requests==2.31.0\njsonargparse[signatures]>=4.27.7\nnumpy >= 1.24, < 2 ; python_version >= \"3.9\"\nrich\n", "requirements.txt")
        let packages = Dictionary(uniqueKeysWithValues: try LockfileParser.parse(path: path).packages.map { ($0.name, $0) })
        #expect(packages["requests"]?.version == "2.31.0" && packages["requests"]?.unpinned == false)
        #expect(packages["jsonargparse"]?.version == ">=4.27.7" && packages["jsonargparse"]?.unpinned == true)
        #expect(packages["numpy"]?.version == ">=1.24,<2")
        #expect(packages["rich"]?.version == "*")
    }

    @Test func condaSpecsAreReadAsCondaWritesThem() throws {
        let path = try Self.write(
            """
            name: train
            channels: [pytorch, nvidia, conda-forge]
            dependencies:
              - python=3.11
              - pytorch~=2.1.0 *cuda12*
              - numpy>=1.0.0
              - conda-forge::tokenizers=0.15.0
              - cudatoolkit 11.8.0 h6a678d5_0
              - pytorch-cuda=12.1=ha16c6d3_5
              - pip:
                  - jsonargparse[signatures]>=4.27.7
                  - -e .
            """, "environment.yml")
        let packages = Dictionary(uniqueKeysWithValues: try LockfileParser.parse(path: path).packages.map { ($0.name, $0.version) })
        #expect(packages == [
            "python": "3.11", "pytorch": "~=2.1.0", "numpy": ">=1.0.0", "tokenizers": "0.15.0", "cudatoolkit": "11.8.0", "pytorch-cuda": "12.1",
            "jsonargparse": ">=4.27.7", ".": "*",
        ])
        try refused("dependencies:\n  - ~=1.0\n", "environment.yml", line: 2, saying: "conda spec")
    }

    /// A range has no version in the SBOM's purl; it is kept as a property and read back.
    @Test func aRangeIsAConstraintInTheSBOM() throws {
        let directory = try TestFiles.temporaryDirectory("assay-refuse-sbom")
        try AtomicFile.write(Array("jsonargparse>=4.27.7\nrequests==2.31.0\n".utf8), to: directory + "/requirements.txt")
        let document = try SBOM.document(for: directory + "/requirements.txt")
        let text = CanonicalJSON.serialize(document)
        #expect(text.contains(#""pkg:pypi/jsonargparse""#) && text.contains("pkg:pypi/requests@2.31.0"), "\(text)")
        #expect(text.contains("assay:version_constraint"))
        try AtomicFile.write(Array(text.utf8), to: directory + "/sbom.cdx.json")
        let read = try SBOM.read(path: directory + "/sbom.cdx.json").packages
        #expect(read.first { $0.name == "jsonargparse" }?.version == ">=4.27.7")
    }
}

/// yarn.lock (classic and Berry) and pnpm-lock.yaml, on the heads of real lockfiles (webpack's yarn v1, prettier's
/// Berry v10, vuejs/core's pnpm v9; see NOTICE). Every entry is one row: the counts are the files' own block counts.
@Suite struct JavaScriptLockfileTests {
    @Test func yarnClassic() throws {
        let lock = try LockfileTests.parse("yarn-v1.head.lock", .yarnLock)
        #expect(lock.packages.count == 12)
        let frame = lock.packages.filter { $0.name == "@babel/code-frame" }
        #expect(frame.map(\.version) == ["7.29.7", "8.0.0"])
        #expect(frame[0].hashes.first?.hasPrefix("sha512:") == true && frame[0].hashes.contains("sha1:f2fbbfea87c44a21590ec515b778b2c26d8866e7"))
        #expect(frame.allSatisfy { $0.source == nil && !$0.unpinned })
        #expect(SBOM.purl(frame[0]) == "pkg:npm/%40babel/code-frame@7.29.7")
    }

    @Test func yarnBerry() throws {
        let lock = try LockfileTests.parse("yarn-berry.head.lock", .yarnLock)
        #expect(lock.packages.count == 11)
        let compiler = try #require(lock.packages.first { $0.name == "@angular/compiler" })
        #expect(compiler.version == "22.0.8" && compiler.hashes.first?.hasPrefix("yarn-cache:10/644e73c8") == true)
        let root = try #require(lock.packages.first { $0.name == "prettier" })
        #expect(root.source?.kind == .path && root.source?.location == "workspace:." && root.unpinned)
    }

    @Test func pnpmV9() throws {
        let lock = try LockfileTests.parse("pnpm-lock.v9.head.yaml", .pnpmLock)
        #expect(lock.packages.count == 8)
        let parser = try #require(lock.packages.first { $0.name == "@babel/parser" })
        #expect(parser.version == "7.29.8" && parser.direct == true && parser.hashes.first?.hasPrefix("sha512:") == true)
        #expect(lock.packages.first { $0.name == "@bcoe/v8-coverage" }?.direct == false)
        // Detected by name, never as a conda environment.
        #expect(LockfileFormat.detect(path: "/x/pnpm-lock.yaml") == .pnpmLock && LockfileFormat.detect(path: "/x/staging.yarn.lock") == .yarnLock)
    }

    /// pnpm v6 keys (`/name@version(peers)`) and a Git dependency.
    @Test func pnpmV6KeysAndGitSources() throws {
        let path = try TestFiles.temporaryDirectory("assay-pnpm6") + "/pnpm-lock.yaml"
        try AtomicFile.write(
            Array(
                """
                lockfileVersion: '6.0'
                dependencies:
                  react-dom:
                    specifier: ^18.2.0
                    version: 18.2.0(react@18.2.0)
                packages:
                  /react-dom@18.2.0(react@18.2.0):
                    resolution: {integrity: sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==}
                    peerDependencies:
                      react: ^18.2.0
                  /tiny@1.0.0:
                    resolution: {tarball: https://codeload.github.com/acme/tiny/tar.gz/0123456789abcdef0123456789abcdef01234567}
                    dev: true

                """.utf8), to: path)
        let lock = try LockfileParser.parse(path: path)
        #expect(lock.packages.map { "\($0.name) \($0.version)" } == ["react-dom 18.2.0", "tiny 1.0.0"])
        #expect(lock.packages.first { $0.name == "tiny" }?.qualifier == "dev")
        #expect(lock.packages.first { $0.name == "react-dom" }?.direct == true)
        #expect(lock.packages.first { $0.name == "tiny" }?.source?.kind == .url)
    }

    /// A broken classic block is refused with its line.
    @Test func aYarnBlockWithoutVersionIsRefused() throws {
        let path = try TestFiles.temporaryDirectory("assay-yarn-bad") + "/yarn.lock"
        try AtomicFile.write(Array("# yarn lockfile v1\n\n\"a@^1\":\n  resolved \"https://x/a.tgz\"\n".utf8), to: path)
        #expect(throws: LockfileError(path: path, line: 3, expected: "a version line in the block of a")) { try LockfileParser.parse(path: path) }
    }

    /// A bumped one of two versions of a name in yarn.lock is named by env diff.
    @Test func aBumpedDuplicateInYarnIsNamed() throws {
        let text = try String(contentsOfFile: try LockfileTests.fixture("yarn-v1.head.lock"), encoding: .utf8)
        let root = try TestFiles.temporaryDirectory("assay-yarn-diff")
        try AtomicFile.write(Array(text.utf8), to: root + "/a/yarn.lock")
        try AtomicFile.write(Array(text.replacingOccurrences(of: "version \"8.0.0\"", with: "version \"8.0.1\"").utf8), to: root + "/b/yarn.lock")
        let report = try EnvironmentDiff().compare(root + "/a", root + "/b")
        #expect(report.items.map(\.summary).contains("@babel/code-frame 8.0.0 vs 8.0.1"), "\(report.items.map(\.summary))")
    }
}

/// pylock.toml (PEP 751) as pip lock and uv export write it (see NOTICE): every [[packages]] entry, its wheel and
/// sdist hashes, the counts those of Python's tomllib.
@Suite struct PylockTests {
    @Test func pipAndUvPylocks() throws {
        let pip = try LockfileTests.parse("pylock.pip.toml")
        #expect(pip.format == .pylock && pip.packages.count == 6)
        #expect(pip.packages.first { $0.name == "requests" }.map { "\($0.version) \($0.hashes.count)" } == "2.32.3 1")
        let uv = try LockfileTests.parse("pylock.uv.toml")
        #expect(uv.packages.count == 7 && uv.packages.allSatisfy { !$0.unpinned && $0.hashes.allSatisfy { $0.hasPrefix("sha256:") } })
        // attrs: its sdist's hash and its one wheel's.
        #expect(uv.packages.first { $0.name == "attrs" }?.hashes.count == 2)
        #expect(LockfileFormat.detect(path: "/x/pylock.prod.toml") == .pylock)
    }

    @Test func vcsAndDirectoryEntriesKeepTheirSource() throws {
        let path = try TestFiles.temporaryDirectory("assay-pylock") + "/pylock.toml"
        try AtomicFile.write(
            Array(
                """
                lock-version = "1.0"
                created-by = "hand"
                [[packages]]
                name = "tokfix"
                vcs = { type = "git", url = "https://example.invalid/tokfix.git", commit-id = "0123456789abcdef0123456789abcdef01234567" }
                [[packages]]
                name = "app"
                directory = { path = ".", editable = true }

                """.utf8), to: path)
        let packages = try LockfileParser.parse(path: path).packages
        #expect(packages.map(\.name) == ["app", "tokfix"])
        #expect(packages[0].source?.kind == .path && packages[0].unpinned)
        #expect(packages[1].source?.pinned == true && packages[1].version == "0123456789abcdef0123456789abcdef01234567")
        try AtomicFile.write(Array("[[packages]]\nname = \"x\"\n".utf8), to: path)
        #expect(throws: LockfileError(path: path, line: 1, expected: "lock-version = \"1.0\" (a PEP 751 pylock.toml)")) { try LockfileParser.parse(path: path) }
    }
}

/// Sources and workspace members as uv, poetry and Cargo write them: the editable root is a row, a member
/// without a version (dynamic) is read, and Git dependencies keep their commit.
@Suite struct LockfileSourceTests {
    static func write(_ text: String, _ name: String) throws -> String {
        let path = try TestFiles.temporaryDirectory("assay-sources") + "/" + name
        try AtomicFile.write(Array(text.utf8), to: path)
        return path
    }

    /// The real uv.lock's editable root (http-echo-server, `source = { editable = "." }`) is kept, as a local source.
    @Test func uvKeepsTheEditableRoot() throws {
        let lock = try LockfileTests.parse("uv.lock")
        let root = try #require(lock.packages.first { $0.name == "http-echo-server" })
        #expect(root.source?.kind == .path && root.source?.location == "." && root.unpinned && root.version == "0.0.1")
    }

    @Test func uvDynamicMembersAndGitSources() throws {
        let path = try Self.write(
            """
            version = 1
            requires-python = ">=3.9"

            [[package]]
            name = "pydantic"
            source = { editable = "." }

            [[package]]
            name = "transformers"
            version = "4.47.0.dev0"
            source = { git = "https://github.com/huggingface/transformers?rev=main#6c3f168b36882f0beebaa9121eafa1928ba29633" }

            """, "uv.lock")
        let packages = try LockfileParser.parse(path: path).packages
        #expect(packages.map { "\($0.name) \($0.version)" } == ["pydantic *", "transformers 4.47.0.dev0"])
        #expect(packages[1].source?.kind == .git && packages[1].source?.pinned == true)
        try AtomicFile.write(Array("version = 1\n[[package]]\nname = \"x\"\n".utf8), to: path)
        #expect(throws: LockfileError(path: path, line: 0, expected: "name and version in [[package]] entry 1")) { try LockfileParser.parse(path: path) }
    }

    @Test func poetryAndCargoGitDependenciesKeepTheirCommit() throws {
        let poetry = try Self.write(
            """
            [[package]]
            name = "tokfix"
            version = "0.3.0"
            description = ""
            optional = false
            python-versions = ">=3.9"
            files = []

            [package.source]
            type = "git"
            url = "https://github.com/acme/tokfix.git"
            reference = "main"
            resolved_reference = "0123456789abcdef0123456789abcdef01234567"

            [metadata]
            lock-version = "2.0"
            python-versions = ">=3.9"
            content-hash = "00"

            """, "poetry.lock")
        let tokfix = try #require(try LockfileParser.parse(path: poetry).packages.first)
        #expect(tokfix.source?.kind == .git && tokfix.source?.pinned == true && tokfix.source?.location.hasSuffix("@0123456789abcdef0123456789abcdef01234567") == true)
        let cargo = try Self.write(
            """
            version = 4

            [[package]]
            name = "tracing"
            version = "0.2.0"
            source = "git+https://github.com/tokio-rs/tracing?rev=1e09e50#1e09e50e8d15580b5929adbade9c782a6833e4a0"

            [[package]]
            name = "serde"
            version = "1.0.228"
            source = "registry+https://github.com/rust-lang/crates.io-index"
            checksum = "9a8e94ea7f378bd32cbbd37198a4a91436180c5bb472411e48b5ec2e2124ae9e"

            """, "Cargo.lock")
        let crates = try LockfileParser.parse(path: cargo).packages
        #expect(crates.first { $0.name == "tracing" }?.source.map { "\($0.kind) \($0.pinned)" } == "git true")
        #expect(crates.first { $0.name == "serde" }?.source == nil)
    }
}

/// pdm.lock as PDM writes it, new (lock_version 4.5, files per package, groups) and old (4.0, `[metadata.files]`).
@Suite struct PDMLockTests {
    @Test func newAndOldLayouts() throws {
        let new = try LockfileParser.parse(path: try LockfileTests.fixture("pdm-4.5.head.lock"), displayPath: "pdm.lock", format: .pdmLock)
        #expect(new.packages.count == 5 && new.specHash == "sha256:2121abaea206e858ffae12630ce22e8b322b0c3a3b9c3d29ffd25a6a275b2a2f")
        #expect(new.packages.allSatisfy { $0.hashes.count == 2 && $0.hashes.allSatisfy { $0.hasPrefix("sha256:") } })
        #expect(new.packages.first { $0.name == "annotated-types" }?.qualifier == nil)
        #expect(new.packages.first { $0.name == "bandit" }?.qualifier == "dev")
        let old = try LockfileParser.parse(path: try LockfileTests.fixture("pdm-4.0.head.lock"), displayPath: "pdm.lock", format: .pdmLock)
        #expect(old.packages.map { "\($0.name) \($0.version) \($0.hashes.count)" } == ["apscheduler 3.6.3 2", "cachetools 4.2.2 2"])
        #expect(LockfileFormat.detect(path: "/x/pdm.lock") == .pdmLock)
    }

    @Test func gitAndPathPackagesKeepTheirSource() throws {
        let path = try TestFiles.temporaryDirectory("assay-pdm") + "/pdm.lock"
        try AtomicFile.write(
            Array(
                """
                [metadata]
                groups = ["default"]
                lock_version = "4.5.0"

                [[package]]
                name = "tokfix"
                version = "0.3.0"
                git = "https://github.com/acme/tokfix.git"
                revision = "0123456789abcdef0123456789abcdef01234567"
                groups = ["default"]

                [[package]]
                name = "app"
                path = "./app"
                groups = ["default"]

                """.utf8), to: path)
        let packages = try LockfileParser.parse(path: path).packages
        #expect(packages.map { "\($0.name) \($0.version) \($0.source?.kind.rawValue ?? "-") \($0.source?.pinned ?? false)" } == [
            "app * path false", "tokfix 0.3.0 git true",
        ])
    }
}

/// pip-compile's multi-line `# via` (the example service's own requirements.txt, pip-tools 7), and JSON lockfiles
/// whose errors name their line.
@Suite struct LockfileDetailTests {
    @Test func multiLineViaTellsDirectFromTransitive() throws {
        let path = try TestFiles.temporaryDirectory("assay-via") + "/requirements.txt"
        try AtomicFile.write(
            Array(
                """
                anyio==4.16.0 \\
                    --hash=sha256:59bb03251907983d1603d27c3087ddb1e93299ea2163adcdba37899a4fb12ffb
                    # via
                    #   fastapi
                    #   starlette
                numpy==2.3.5 \\
                    --hash=sha256:0f23b44f57077c1ede8c5f26b30f706498b4862d3ff0a7298b8411dd2f043ff6
                    # via
                    #   -r requirements.in
                    #   onnx
                fastapi==0.163.2 \\
                    --hash=sha256:825a8fdd18d7bfcb1b86735e9805c59b7400d55c4060d3df5331b62ae452f004
                    # via -r requirements.in

                """.utf8), to: path)
        let direct = Dictionary(uniqueKeysWithValues: try LockfileParser.parse(path: path).packages.map { ($0.name, $0.direct) })
        #expect(direct == ["anyio": false, "numpy": true, "fastapi": true])
    }

    @Test func aJSONLockfileErrorNamesItsLine() throws {
        let path = try TestFiles.temporaryDirectory("assay-json-line") + "/package-lock.json"
        try AtomicFile.write(Array("{\n  \"name\": \"x\",\n  \"packages\": {\n    \"\": {\"version\" \"1.0.0\"}\n  }\n}\n".utf8), to: path)
        #expect {
            try LockfileParser.parse(path: path)
        } throws: { error in
            (error as? LockfileError)?.line == 4 && (error as? LockfileError)?.expected.hasPrefix("valid JSON (stopped at byte") == true
        }
    }
}

/// purls that place a package: Swift's namespace (host and owner), conda's subdir, channel and build, so builds of
/// one version for different platforms no longer share a purl.
@Suite struct PurlTests {
    @Test func swiftAndCondaPurlsCarryWhatPlacesThem() throws {
        let swift = try LockfileTests.parse("swiftpm-Package.resolved.json", .swiftPackageResolved)
        let grdb = try #require(swift.packages.first { $0.name == "grdb.swift" })
        #expect(SBOM.purl(grdb) == "pkg:swift/github.com/groue/grdb.swift@7.10.0")
        let conda = try LockfileTests.parse("conda-lock.yml")
        let rows = conda.packages.filter { $0.ecosystem == "conda" }
        let purls = rows.compactMap(SBOM.purl)
        #expect(purls.contains("pkg:conda/_libgcc_mutex@0.1?build=main&channel=main&subdir=linux-64"), "\(purls.prefix(3))")
        // One purl, one artifact: the platforms' builds are told apart, and rows that share a purl (noarch
        // packages listed once per platform) share their hashes too.
        let byPurl = Dictionary(grouping: rows) { SBOM.purl($0) ?? "" }
        #expect(byPurl.values.allSatisfy { Set($0.map(\.hashes)).count == 1 })
        #expect(Set(purls).count > purls.count / 2)
    }

    /// A package from an index other than PyPI's carries it as `repository_url` (the uv.lock fixture was locked
    /// against a mirror); one from pypi.org carries nothing.
    @Test func anIndexOtherThanPyPIIsAQualifier() throws {
        let mirror = try #require(try LockfileTests.parse("uv.lock").packages.first { $0.name == "flask" })
        #expect(SBOM.purl(mirror) == "pkg:pypi/flask@3.1.3?repository_url=https%3A%2F%2Findex.pypi-mirror.invalid%2Fsimple")
        let pypi = try #require(try LockfileTests.parse("pylock.uv.toml").packages.first { $0.name == "requests" })
        #expect(SBOM.purl(pypi) == "pkg:pypi/requests@2.32.3")
    }
}

/// npm's flags on the real package-lock v3: a nested copy keeps its dev flag beside its location, and esbuild's
/// platform packages (dev and optional) are devOptional.
@Suite struct NPMFlagTests {
    @Test func nestedDevAndOptionalFlagsAreKept() throws {
        let lock = try LockfileTests.parse("package-lock.v3.json")
        let nested = try #require(lock.packages.first { $0.qualifier?.hasPrefix("node_modules/@eslint/config-array/node_modules/balanced-match") == true })
        #expect(nested.qualifier == "node_modules/@eslint/config-array/node_modules/balanced-match (dev)")
        #expect(lock.packages.first { $0.name == "@esbuild/aix-ppc64" }?.qualifier == "devOptional")
        #expect(lock.packages.filter { $0.qualifier?.hasSuffix("(dev)") == true }.count == 216)
    }
}

@Suite struct LockfileRegistryTests {
    /// Every format has its reader registered: none is known by name and then unreadable.
    @Test func everyFormatHasAReader() {
        #expect(LockfileFormat.allCases.filter { LockfileParser.readers[$0] == nil }.isEmpty)
    }
}
