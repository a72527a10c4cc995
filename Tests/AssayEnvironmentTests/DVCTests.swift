import AssayCore
@testable import AssayEnvironment
import AssayTestSupport
import Foundation
import Testing

@Suite struct DVCTests {
    static func fixture(_ name: String) throws -> String {
        try TestFiles.fixture(name, in: .module)
    }

    /// A tree with the cases that change a DVC hash: CRLF text, binary, non-ASCII and quoted names, upper
    /// case sorting before lower case, nesting, an empty directory.
    static func tree() throws -> String {
        let root = try TestFiles.temporaryDirectory("assay-dvc")
        let files: [(String, [UInt8])] = [
            ("a.txt", Array("hello\r\nworld\r\n".utf8)), ("B.txt", Array("B".utf8)), ("bin.dat", [0x78, 0, 0x0d, 0x0a, 0x79]),
            ("sub/é.txt", Array("café".utf8)), ("sub/q\"uote.txt", Array("q".utf8)), ("sub/deeper/z.txt", Array("z\r\n".utf8)),
        ]
        for (path, bytes) in files { try AtomicFile.write(bytes, to: root + "/" + path) }
        try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: true)
        return root
    }

    /// The directory hash, size and file count equal what DVC's own code (dvc-data, from PyPI) computes,
    /// for DVC 3's md5 and DVC 2's md5-dos2unix.
    @Test(.enabled(if: ExternalTool.pythonModulesAvailable(["dvc_data"]), "needs DVC's dvc-data: pip install dvc-data"))
    func directoryHashMatchesDVC() throws {
        let root = try Self.tree()
        let script = """
            import json, sys
            from dvc_data.hashfile.build import build
            from dvc_data.hashfile.db import HashFileDB
            from dvc_objects.fs.local import LocalFileSystem
            from dvc_objects.fs import MemoryFileSystem
            fs, out = LocalFileSystem(), {}
            for name in ("md5", "md5-dos2unix"):
                odb = HashFileDB(MemoryFileSystem(), "memory://odb")
                _, meta, obj = build(odb, sys.argv[1], fs, name)
                out[name] = [obj.hash_info.value, meta.size, meta.nfiles]
                out[name + " file"] = build(odb, sys.argv[1] + "/a.txt", fs, name)[2].hash_info.value
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, root]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "dvc-data is needed: pip install dvc-data")
        let dvc = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        for algorithm in [DVCHash.Algorithm.md5, .md5Dos2unix] {
            let ours = try DVCHash.directory(at: root, algorithm: algorithm)
            let theirs = try #require(dvc[algorithm.rawValue] as? [Any])
            #expect(ours.md5 == theirs[0] as? String, "\(algorithm)")
            #expect(ours.size == theirs[1] as? Int)
            #expect(ours.nfiles == theirs[2] as? Int)
            #expect(try DVCHash.md5(ofFileAt: root + "/a.txt", algorithm: algorithm) == dvc[algorithm.rawValue + " file"] as? String)
        }
        #expect(try DVCHash.md5(ofFileAt: root + "/a.txt") != (try DVCHash.md5(ofFileAt: root + "/a.txt", algorithm: .md5Dos2unix)))
    }

    @Test func pythonJSONEscaping() {
        #expect(DVCHash.pythonJSONString("a\"b\\c\nd\u{1}é😀") == #""a\"b\\c\nd\u0001\u00e9\ud83d\ude00""#)
        #expect(DVCHash.treeJSON([("x", "1")]) == #"[{"md5": "1", "relpath": "x"}]"#)
    }

    /// Real DVC 3 files: a .dvc file's outs and every stage's outs in dvc.lock, with md5, size and nfiles.
    @Test func readsRealDVCFiles() throws {
        let dvcFile = try DVCOutput.read(path: try Self.fixture("data.xml.dvc"))
        #expect(dvcFile == [DVCOutput(path: "data.xml", md5: "22a1a2931c8370d3aeedd7183606fd7f", size: 14_445_097, nfiles: nil, algorithm: .md5, stage: nil)])
        let lock = try DVCOutput.read(path: try Self.fixture("dvc.lock"))
        let prepared = try #require(lock.first { $0.path == "data/prepared" })
        #expect(prepared.isDirectory && prepared.nfiles == 2 && prepared.stage == "prepare")
        #expect(prepared.md5 == "153aad06d376b6595932470e459ef42a.dir")
        #expect(Set(lock.compactMap(\.stage)).count >= 3)
        let bad = try TestFiles.temporaryDirectory("assay-dvc-bad") + "/x.dvc"
        try AtomicFile.write(Array("outs:\n- path: data.xml\n  size: 3\n".utf8), to: bad)
        #expect(throws: LockfileError(path: bad, line: 2, expected: "md5: for data.xml (only md5 outputs can be verified)")) {
            try DVCOutput.read(path: bad)
        }
    }

    /// Registry rows: a matching directory passes, a changed file is an integrity failure, a missing one unverified.
    @Test func registryRowsFollowTheDeployedBytes() throws {
        let root = try Self.tree()
        let directory = try DVCHash.directory(at: root + "/sub")
        let file = try DVCHash.md5(ofFileAt: root + "/B.txt")
        let dvc = """
            outs:
            - md5: \(directory.md5)
              size: \(directory.size)
              nfiles: \(directory.nfiles)
              hash: md5
              path: sub
            - md5: \(file)
              hash: md5
              path: a.txt
            - md5: \(file)
              hash: md5
              path: gone.txt
            """
        try AtomicFile.write(Array(dvc.utf8), to: root + "/data.dvc")
        var settings = EnvironmentSettings(workspace: WorkspaceRoot(root: root, configurationPath: root + "/assay.yaml"))
        settings.registries.dvc = ["data.dvc"]
        let rows = try Registries.findings(settings)
        #expect(rows.map(\.status) == [.pass, .integrityFailure, .unverified])
        #expect(rows[0].check == "DVC directory: sub")
        #expect(rows[1].observed.hasPrefix("differs: md5"))
        #expect(rows[2].primaryEvidence.path == "data.dvc")
    }
}
