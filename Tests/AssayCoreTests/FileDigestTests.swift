import AssayCore
import Foundation
import Testing

@Suite struct FileDigestTests {
    func write(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("assay-digest-\(UUID().uuidString)").path
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

    @Test func missingFileNamesThePath() {
        #expect(throws: FileDigestError.cannotOpen(path: "/nonexistent/assay", errno: ENOENT)) {
            try FileDigest.sha256(ofFileAt: "/nonexistent/assay")
        }
    }
}
