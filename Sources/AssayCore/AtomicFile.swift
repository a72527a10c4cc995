import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#else
private let systemWrite = Darwin.write
#endif

/// Errors from writing files atomically.
public enum AtomicFileError: Error, Sendable, CustomStringConvertible, Equatable {
    case cannotCreate(path: String, errno: Int32)
    case writeFailed(path: String, errno: Int32)
    case renameFailed(from: String, to: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotCreate(let path, let code):
            "\(path): cannot create: \(String(cString: strerror(code)))"
        case .writeFailed(let path, let code):
            "\(path): write failed: \(String(cString: strerror(code)))"
        case .renameFailed(let from, let to, let code):
            "cannot rename \(from) to \(to): \(String(cString: strerror(code)))"
        }
    }
}

/// Writes files so that a reader sees either the previous content or the whole new content, never a
/// part: the bytes go to a temporary file in the same directory, which is fsynced and renamed over the
/// target, and the directory is fsynced so the rename survives a crash.
public enum AtomicFile {
    /// Sink handed to `write(to:_:)`'s body.
    public struct Writer {
        fileprivate let fd: Int32
        fileprivate let path: String

        /// Appends bytes to the temporary file.
        public func write<D: DataProtocol>(_ bytes: D) throws {
            let contiguous = Array(bytes)
            var written = 0
            while written < contiguous.count {
                let n = contiguous.withUnsafeBytes { raw in
                    raw.baseAddress.map { systemWrite(fd, $0 + written, raw.count - written) } ?? 0
                }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw AtomicFileError.writeFailed(path: path, errno: errno)
                }
                written += n
            }
        }

        /// Appends the UTF-8 bytes of a string.
        public func write(_ string: String) throws {
            try write(Array(string.utf8))
        }
    }

    /// Replaces `path` with `data`, atomically.
    public static func write<D: DataProtocol>(_ data: D, to path: String) throws {
        try write(to: path) { try $0.write(data) }
    }

    /// Replaces `path` with what `body` writes, atomically. If `body` throws, the previous file is untouched
    /// and the temporary file is removed.
    public static func write(to path: String, _ body: (Writer) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var template = Array("\(directory)/\(temporaryPrefix(url.lastPathComponent))\(getpid())-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else { throw AtomicFileError.cannotCreate(path: path, errno: errno) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var renamed = false
        defer {
            if !renamed { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            fchmod(fd, 0o644)
            try body(Writer(fd: fd, path: temporary))
            guard fsync(fd) == 0 else { throw AtomicFileError.writeFailed(path: temporary, errno: errno) }
        }
        guard rename(temporary, path) == 0 else {
            throw AtomicFileError.renameFailed(from: temporary, to: path, errno: errno)
        }
        renamed = true
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
        removeLeftovers(of: url.lastPathComponent, in: directory)
    }

    /// `.NAME.tmp-`, then the writer's pid and a unique suffix.
    static func temporaryPrefix(_ name: String) -> String { ".\(name).tmp-" }

    /// Removes the temporary files of writers of `name` that died before renaming them (a SIGKILL, a power cut):
    /// those whose pid no longer runs. A live writer's file is left alone.
    static func removeLeftovers(of name: String, in directory: String) {
        let prefix = temporaryPrefix(name)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            let rest = entry.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]) else { continue }
            if pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { unlink("\(directory)/\(entry)") }
        }
    }
}
