import AssayCore
import Foundation
import AssayTestSupport
import Testing

@Suite struct TreeDigestTests {
    static func tree() throws -> String {
        let root = try TestFiles.temporaryDirectory("assay-tree")
        try AtomicFile.write(Array("a".utf8), to: root + "/a.txt")
        try AtomicFile.write(Array("b".utf8), to: root + "/sub/b.txt")
        return root
    }

    @Test func listingHasTypeModeSizeDigestAndPath() throws {
        let root = try Self.tree()
        let listing = try TreeDigest.listing(of: root)
        #expect(listing.entries.map(\.line) == [
            "f 644 1 ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb a.txt\n",
            "f 644 1 3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d sub/b.txt\n",
        ])
        #expect(try TreeDigest.sha256(ofItemAt: root) == listing.digest)
    }

    @Test func modeAndNamesChangeTheDigestTimestampsDoNot() throws {
        let root = try Self.tree()
        let before = try TreeDigest.sha256(ofItemAt: root)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 0)], ofItemAtPath: root + "/a.txt")
        #expect(try TreeDigest.sha256(ofItemAt: root) == before)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: root + "/a.txt")
        #expect(try TreeDigest.sha256(ofItemAt: root) != before)
    }

    @Test func linksAreRecordedNotFollowedSoLoopsAreHarmless() throws {
        let root = try Self.tree()
        try FileManager.default.createSymbolicLink(atPath: root + "/sub/loop", withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: root + "/outside", withDestinationPath: "/etc/passwd")
        let listing = try TreeDigest.listing(of: root)
        #expect(listing.entries.filter { $0.type == "l" }.map(\.path) == ["outside", "sub/loop"])
        #expect(listing.problems.isEmpty)
    }

    @Test func nonUTF8NamesAreReportedNotCrashed() throws {
        let root = try Self.tree()
        let bad: [UInt8] = Array((root + "/caf").utf8) + [0xE9, 0x2E, 0x74, 0x78, 0x74, 0]
        let fd = bad.withUnsafeBufferPointer { open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_CREAT | O_WRONLY, 0o644) }
        #expect(fd >= 0)
        close(fd)
        let listing = try TreeDigest.listing(of: root)
        #expect(listing.entries.contains { $0.path == "caf\\xE9.txt" })
        #expect(listing.problems == ["caf\\xE9.txt: name is not UTF-8 (listed escaped)"])
        #expect(throws: TreeDigestError.self) { try TreeDigest.sha256(ofItemAt: root) }
    }

    @Test func statCacheSkipsUnchangedFilesAndNoticesChanges() throws {
        let root = try Self.tree()
        let cachePath = root + "-cache.json"
        let cache = StatCache(path: cachePath)
        let first = try TreeDigest.listing(of: root, cache: cache).digest
        #expect(cache.count == 2)
        try cache.save()
        let reloaded = StatCache(path: cachePath)
        #expect(try TreeDigest.listing(of: root, cache: reloaded).digest == first)
        try AtomicFile.write(Array("changed".utf8), to: root + "/a.txt")
        #expect(try TreeDigest.listing(of: root, cache: reloaded).digest != first)
        try AtomicFile.write(Array("garbage".utf8), to: cachePath)
        #expect(StatCache(path: cachePath).count == 0)
    }
}
