import AssayCore
import Foundation
import AssayTestSupport
import Testing

@Suite struct FileDigestTests {
    func write(_ bytes: [UInt8]) throws -> String {
        let path = try TestFiles.temporaryFile("assay-digest")
        try AtomicFile.write(bytes, to: path)
        return path
    }

    @Test func knownVectors() throws {
        #expect(try FileDigest.sha256(ofFileAt: write([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try FileDigest.sha256(ofFileAt: write(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func streamingEqualsOneShotAcrossBufferBoundaries() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<((1 << 20) * 2 + 12345)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(try FileDigest.sha256(ofFileAt: write(bytes)) == FileDigest.sha256(of: bytes))
    }

    /// Large files are read on a second thread: the digest is the same at, just past and well past the
    /// 4 MiB chunk boundaries (the end marker after a full last chunk, a partial last chunk).
    @Test(arguments: [32 << 20, (32 << 20) + 1, (37 << 20) + 4095])
    func pipelinedReadEqualsOneShot(_ size: Int) throws {
        var generator = SplitMix64(seed: UInt64(size))
        var bytes = [UInt8](repeating: 0, count: size)
        for index in stride(from: 0, to: size, by: 8) {
            withUnsafeBytes(of: generator.next()) { word in
                for k in 0..<min(8, size - index) { bytes[index + k] = word[k] }
            }
        }
        #expect(try FileDigest.sha256(ofFileAt: write(bytes)) == FileDigest.sha256(of: bytes))
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: FileDigestError.cannotOpen(path: "/nonexistent/assay", errno: ENOENT)) {
            try FileDigest.sha256(ofFileAt: "/nonexistent/assay")
        }
    }
}
