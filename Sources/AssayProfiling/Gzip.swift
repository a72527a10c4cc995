import AssayCore
import CZlib
import Foundation

/// gzip decompression with the system zlib, for `.json.gz` traces.
public enum Gzip {
    public struct Error: Swift.Error, Sendable, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { "gzip: \(message)" }
    }

    public static func isCompressed(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b }

    /// Inflates gzip (or zlib) data; `limit` bounds the output so a hostile file cannot exhaust memory.
    public static func decompress(_ input: [UInt8], limit: Int = 4 << 30) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Error(message: "cannot initialize zlib")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(min(limit, input.count * 8))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            repeat {
                status = chunk.withUnsafeMutableBufferPointer { target -> Int32 in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw Error(message: "corrupt data at byte \(Int(stream.total_in)) (zlib status \(status))")
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                if output.count > limit { throw Error(message: "more than \(limit) bytes when inflated") }
                if status == Z_OK, produced == 0, stream.avail_in == 0 { throw Error(message: "truncated data") }
            } while status != Z_STREAM_END
        }
        return output
    }
}

extension Gzip {
    /// Inflates the gzip file `input` into the open file `output`, a megabyte at a time, so neither side is ever
    /// held in memory whole; `limit` bounds the output. Returns the bytes written.
    static func decompress(file input: Int32, into output: Int32, limit: Int) throws -> Int {
        var stream = z_stream()
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Error(message: "cannot initialize zlib")
        }
        defer { inflateEnd(&stream) }
        let size = 1 << 20
        let source = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        let target = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        defer {
            source.deallocate()
            target.deallocate()
        }
        var written = 0
        var status: Int32 = Z_OK
        var exhausted = false
        repeat {
            if stream.avail_in == 0, !exhausted {
                let n = read(input, source, size)
                guard n >= 0 else { throw Error(message: "cannot read the file") }
                exhausted = n == 0
                stream.next_in = source
                stream.avail_in = uInt(n)
            }
            stream.next_out = target
            stream.avail_out = uInt(size)
            status = inflate(&stream, Z_NO_FLUSH)
            guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && !exhausted) else {
                throw Error(message: status == Z_BUF_ERROR ? "truncated data" : "corrupt data at byte \(Int(stream.total_in)) (zlib status \(status))")
            }
            let produced = size - Int(stream.avail_out)
            written += produced
            if written > limit { throw Error(message: "more than \(limit) bytes when inflated") }
            var offset = 0
            while offset < produced {
                let n = write(output, target + offset, produced - offset)
                guard n > 0 else { throw Error(message: "cannot write the inflated trace to a temporary file") }
                offset += n
            }
            if exhausted, status != Z_STREAM_END, produced == 0 { throw Error(message: "truncated data") }
        } while status != Z_STREAM_END
        return written
    }
}

extension Gzip.Error: AssayError {
    public var exitCode: Int32 { ExitStatus.invalidInput }
}
