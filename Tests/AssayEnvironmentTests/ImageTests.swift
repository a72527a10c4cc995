import AssayCore
import AssayEnvironment
import Foundation
import AssayTestSupport
import Testing

/// Images built by real tools: umoci writes the OCI layout, skopeo the `docker save` archive.
enum ImageTools {
    static var available: Bool { ExternalTool.available(["umoci", "skopeo"]) }

    /// An OCI layout `img` (tag `latest`) and `img.tar` in docker save format.
    static func build() throws -> String {
        let directory = try TestFiles.temporaryDirectory("assay-image")
        try ExternalTool.buildImage(in: directory)
        try ExternalTool.run(["skopeo", "copy", "oci:img:latest", "docker-archive:img.tar:demo:latest"], in: directory)
        return directory
    }
}

@Suite(.enabled(if: ImageTools.available, "needs umoci and skopeo (Debian packages; .ci/run installs them)"))
struct ImageTests {
    @Test func ociLayoutVerifiesEveryBlob() throws {
        let directory = try ImageTools.build()
        let result = try OCILayout.verify(path: directory + "/img", tag: "latest")
        #expect(result.valid)
        #expect(result.blobs.map(\.role) == ["manifest", "config", "layer 0"])
        #expect(result.manifestDigest?.hasPrefix("sha256:") == true)
        #expect(result.diffIDs.count == 1)
        #expect(throws: ImageError.self) { try OCILayout.verify(path: directory + "/img", tag: "nope") }
    }

    @Test func tamperedBlobIsCaught() throws {
        let directory = try ImageTools.build()
        let clean = try OCILayout.verify(path: directory + "/img")
        let layer = try #require(clean.blobs.first { $0.role == "layer 0" })
        let file = directory + "/img/blobs/sha256/" + layer.digest.dropFirst(7)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let tampered = try OCILayout.verify(path: directory + "/img")
        #expect(!tampered.valid)
        let bad = try #require(tampered.blobs.first { !$0.valid })
        #expect(bad.role == "layer 0")
        #expect(bad.problem?.hasPrefix("content hashes to sha256:") == true)
    }

    @Test func dockerSaveArchiveHasConfigAndDiffIDsButNoManifestDigest() throws {
        let directory = try ImageTools.build()
        let layout = try OCILayout.verify(path: directory + "/img")
        let archive = try DockerArchive.verify(path: directory + "/img.tar")
        #expect(archive.valid)
        #expect(archive.manifestDigest == nil)
        #expect(archive.notes.first?.contains("no registry manifest digest") == true)
        #expect(archive.configDigest == layout.configDigest)
        #expect(archive.diffIDs == layout.diffIDs)
        #expect(archive.reference.contains("demo:latest"))
    }
}

/// Hostile archives need only python3 to write them, not the image tools.
@Suite(.enabled(if: ExternalTool.available(["python3"]), "needs python3 to write the archives"))
struct ArchiveSafetyTests {
    /// Archives written by Python's tarfile with a `..` entry, an absolute path, and an escaping link.
    @Test(arguments: ["../evil.txt", "/etc/evil.txt", "link"])
    func escapingArchivesAreRefused(_ entry: String) throws {
        let directory = try TestFiles.temporaryDirectory("assay-tar")
        let script = """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as tar:
                data = b"[]"
                info = tarfile.TarInfo("manifest.json"); info.size = len(data); tar.addfile(info, io.BytesIO(data))
                if sys.argv[2] == "link":
                    info = tarfile.TarInfo("layer.tar"); info.type = tarfile.SYMTYPE; info.linkname = "../../etc/passwd"; tar.addfile(info)
                else:
                    info = tarfile.TarInfo(sys.argv[2]); info.size = 4; tar.addfile(info, io.BytesIO(b"evil"))
            """
        try ExternalTool.run(["python3", "-c", script, directory + "/bad.tar", entry], in: directory)
        #expect { try DockerArchive.verify(path: directory + "/bad.tar") } throws: { error in
            (error as? ImageError)?.problem.hasPrefix("refusing") == true
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/../evil.txt"))
    }
}
