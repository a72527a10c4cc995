import AssayLatency
import Foundation
import AssayTestSupport
import Testing

@Suite struct LogFollowerTests {
    private func collect(_ follower: inout LogFollower) throws -> [String] {
        var lines: [String] = []
        try follower.forEachNewLine { number, text in lines.append("\(number):\(text ?? "<too long>")") }
        return lines
    }

    private func append(_ text: String, to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    @Test func handsOverAppendedLinesAcrossChunksAndWaitsForUnfinishedOnes() throws {
        let path = try TestFiles.temporaryFile("follow.log")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var follower = LogFollower(path: path, chunkBytes: 3)
        #expect(try collect(&follower).isEmpty)
        #expect(FileManager.default.createFile(atPath: path, contents: Data("alpha\nbeta\nga".utf8)))
        #expect(try collect(&follower) == ["1:alpha", "2:beta"])
        try append("mma\n\ndelta", to: path)
        #expect(try collect(&follower) == ["3:gamma", "4:"])
        try append("\n", to: path)
        #expect(try collect(&follower) == ["5:delta"])
        // Rotation: the file is replaced by a shorter one, and is read again from its start.
        #expect(FileManager.default.createFile(atPath: path, contents: Data("new\n".utf8)))
        #expect(try collect(&follower) == ["1:new"])
    }

    @Test func anEnormousLineIsSkippedWithoutBeingHeld() throws {
        let path = try TestFiles.temporaryFile("follow.log")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var huge = Data(repeating: UInt8(ascii: "x"), count: LogFollower.maxLineBytes + 10)
        huge.append(Data("\nafter\n".utf8))
        #expect(FileManager.default.createFile(atPath: path, contents: Data("before\n".utf8) + huge))
        var follower = LogFollower(path: path)
        #expect(try collect(&follower) == ["1:before", "2:<too long>", "3:after"])
        // Split across calls, too: the unfinished long line is dropped as soon as it passes the limit.
        try append(String(repeating: "y", count: LogFollower.maxLineBytes / 2), to: path)
        #expect(try collect(&follower).isEmpty)
        try append(String(repeating: "y", count: LogFollower.maxLineBytes / 2 + 1) + "\nlast\n", to: path)
        #expect(try collect(&follower) == ["4:<too long>", "5:last"])
    }
}
