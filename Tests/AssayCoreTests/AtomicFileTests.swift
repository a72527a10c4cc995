import AssayCore
import Foundation
import AssayTestSupport
import Testing

@Suite struct AtomicFileTests {
    struct Interrupted: Error {}

    func temporaryDirectory() throws -> String {
        let path = try TestFiles.temporaryDirectory("assay-atomic")
        return path
    }

    @Test func replacesTheWholeFile() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/report.md"
        try AtomicFile.write(Array("old contents that are longer\n".utf8), to: path)
        try AtomicFile.write(Array("new\n".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["report.md"])
    }

    @Test func interruptedWriteLeavesThePreviousFileIntact() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/report.json"
        let previous = "{\"verdict\": \"STABLE\"}\n"
        try AtomicFile.write(Array(previous.utf8), to: path)
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: path) { writer in
                try writer.write(Array(repeating: UInt8(ascii: "x"), count: 3 << 20))
                // Mid-write, a reader still sees the whole previous file.
                #expect(try String(contentsOfFile: path, encoding: .utf8) == previous)
                throw Interrupted()
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == previous)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["report.json"])
    }

    /// A writer killed before its rename leaves its temporary file; the next write removes it once that writer's
    /// pid is gone, and leaves a live writer's alone.
    @Test func leftoversOfDeadWritersAreRemoved() throws {
        let directory = try temporaryDirectory()
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        let dead = directory + "/.report.md.tmp-\(exited.processIdentifier)-AbC123"
        let live = directory + "/.report.md.tmp-1-XyZ789"
        let other = directory + "/.report.json.tmp-\(exited.processIdentifier)-AbC123"
        for path in [dead, live, other] { #expect(FileManager.default.createFile(atPath: path, contents: Data("half".utf8))) }
        try AtomicFile.write(Array("whole\n".utf8), to: directory + "/report.md")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            == [".report.json.tmp-\(exited.processIdentifier)-AbC123", ".report.md.tmp-1-XyZ789", "report.md"])
    }

    @Test func createsMissingDirectories() throws {
        let path = try temporaryDirectory() + "/a/b/c.txt"
        try AtomicFile.write(Array("x".utf8), to: path)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func unwritableDirectoryIsAClearError() throws {
        let directory = try temporaryDirectory()
        let blocker = directory + "/file"
        try AtomicFile.write(Array("x".utf8), to: blocker)
        #expect(throws: (any Error).self) {
            try AtomicFile.write(Array("y".utf8), to: blocker + "/inside.txt")
        }
    }
}
