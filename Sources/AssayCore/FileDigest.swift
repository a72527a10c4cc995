import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors from reading files to hash them.
public enum FileDigestError: Error, Sendable, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, errno: Int32)
    case readFailed(path: String, byteOffset: Int, errno: Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code):
            "\(path): cannot open for hashing: \(String(cString: strerror(code)))"
        case .readFailed(let path, let offset, let code):
            "\(path): read failed at byte \(offset): \(String(cString: strerror(code)))"
        }
    }
}

/// Streaming SHA-256 of files: reads into one reused 1 MiB buffer, never the whole file into memory.
public enum FileDigest {
    static let bufferSize = 1 << 20
    /// Files this large are read on a second thread while the first hashes, so the copy out of the page
    /// cache overlaps the hashing.
    static let pipelineThreshold = 32 << 20

    /// Lowercase hex sha256 of the file's bytes.
    public static func sha256(ofFileAt path: String) throws -> String {
        try sha256(ofFileAtRawPath: Array(path.utf8))
    }

    /// The same for a path given as bytes (file names need not be UTF-8).
    public static func sha256(ofFileAtRawPath raw: [UInt8]) throws -> String {
        let path = String(decoding: raw, as: UTF8.self)
        let fd = (raw + [0]).withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { open(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self), O_RDONLY | O_CLOEXEC) } ?? -1
        }
        guard fd >= 0 else { throw FileDigestError.cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        var hasher = SHA256()
        // Small files get a small buffer: allocating 1 MiB per 4 KiB file costs more than hashing it.
        var status = stat()
        let size = fstat(fd, &status) == 0 ? Int(status.st_size) : bufferSize
        if size >= pipelineThreshold, ProcessInfo.processInfo.activeProcessorCount > 1 {
            try PipelinedReader(fd: fd, path: path).forEachChunk { hasher.update(bufferPointer: $0) }
            return hex(hasher.finalize())
        }
        let capacity = max(4096, min(bufferSize, size + 1))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var offset = 0
        while true {
            let count = read(fd, buffer.baseAddress, capacity)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileDigestError.readFailed(path: path, byteOffset: offset, errno: errno)
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += count
        }
        return hex(hasher.finalize())
    }

    /// Lowercase hex sha256 of bytes in memory.
    public static func sha256<D: DataProtocol>(of bytes: D) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// Lowercase hex of a digest.
    public static func hex<S: Sequence>(_ digest: S) -> String where S.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// Reads a file on a background thread into a ring of buffers while the caller consumes filled ones.
final class PipelinedReader: @unchecked Sendable {
    private static let chunk = 4 << 20
    private static let depth = 3
    private let fd: Int32
    private let path: String
    private let buffers: [UnsafeMutableRawBufferPointer]
    /// Bytes in each buffer; raw memory, as the two threads write different slots at different times.
    private let counts: UnsafeMutableBufferPointer<Int>
    private var failure: FileDigestError?
    private let filled = DispatchSemaphore(value: 0)
    private let empty = DispatchSemaphore(value: PipelinedReader.depth)

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffers = (0..<Self.depth).map { _ in .allocate(byteCount: Self.chunk, alignment: 64) }
        counts = .allocate(capacity: Self.depth)
        counts.initialize(repeating: 0)
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
        counts.deallocate()
    }

    /// Calls `body` with each chunk in file order; throws the read error, if any, after the chunks before it.
    func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { [self] in
            readAll()
            done.signal()
        }
        defer { done.wait() }
        var slot = 0
        var stopped = false
        while !stopped {
            filled.wait()
            let count = counts[slot]
            if count > 0 {
                do {
                    try body(UnsafeRawBufferPointer(rebasing: buffers[slot][0..<count]))
                } catch {
                    stopped = true
                    empty.signal()
                    drain(from: slot + 1)
                    throw error
                }
            } else {
                stopped = true
            }
            empty.signal()
            slot = (slot + 1) % Self.depth
        }
        if let failure { throw failure }
    }

    /// After an early stop, lets the reader finish: keep accepting its chunks until it signals the end.
    private func drain(from start: Int) {
        var slot = start % Self.depth
        while true {
            filled.wait()
            let count = counts[slot]
            empty.signal()
            if count <= 0 { return }
            slot = (slot + 1) % Self.depth
        }
    }

    private func readAll() {
        var slot = 0
        var offset = 0
        while true {
            empty.wait()
            var count = 0
            while count < Self.chunk {
                let n = read(fd, buffers[slot].baseAddress! + count, Self.chunk - count)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .readFailed(path: path, byteOffset: offset + count, errno: errno)
                    count = -1
                    break
                }
                if n == 0 { break }
                count += n
            }
            counts[slot] = max(count, 0)
            if count > 0 { offset += count }
            let finished = count < Self.chunk
            if finished && count > 0 {
                filled.signal()
                slot = (slot + 1) % Self.depth
                empty.wait()
                counts[slot] = 0
            }
            filled.signal()
            if finished { return }
            slot = (slot + 1) % Self.depth
        }
    }
}
