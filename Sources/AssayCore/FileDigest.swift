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
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
