import Foundation

/// Follows a growing log: each call hands over the lines appended since the previous one. It starts over when the
/// file shrinks (truncated, or replaced by rotation); a last line without its newline waits for the next call.
/// Memory stays bounded whatever the rate: the file is read a chunk at a time, and a line longer than
/// `maxLineBytes` is skipped (reported as `nil`) instead of being held.
public struct LogFollower: Sendable {
    /// The longest line handed over; a longer one is reported as `nil` and skipped.
    public static let maxLineBytes = 16 << 20

    public let path: String
    private let chunkBytes: Int
    private var offset: UInt64 = 0
    private var lineNumber = 0
    private var partial: [UInt8] = []
    private var skippingLongLine = false

    public init(path: String, chunkBytes: Int = 1 << 20) {
        self.path = path
        self.chunkBytes = max(1, chunkBytes)
    }

    /// Calls `body` with the 1-based number and text (nil when too long) of each complete new line, in order.
    /// A missing file has no lines yet.
    public mutating func forEachNewLine(_ body: (Int, String?) -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        if size < offset {
            offset = 0
            lineNumber = 0
            partial = []
            skippingLongLine = false
        }
        try handle.seek(toOffset: offset)
        while offset < size {
            guard let data = try handle.read(upToCount: Int(min(size - offset, UInt64(chunkBytes)))), !data.isEmpty else { break }
            offset += UInt64(data.count)
            data.withUnsafeBytes { raw in consume(raw.bindMemory(to: UInt8.self), body) }
        }
    }

    private mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, String?) -> Void) {
        var start = 0
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                if !skippingLongLine { partial.append(contentsOf: bytes[start...]) }
                if partial.count > Self.maxLineBytes {
                    partial = []
                    skippingLongLine = true
                }
                return
            }
            lineNumber += 1
            if skippingLongLine || partial.count + (newline - start) > Self.maxLineBytes {
                body(lineNumber, nil)
            } else if partial.isEmpty {
                body(lineNumber, String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<newline]), as: UTF8.self))
            } else {
                partial.append(contentsOf: bytes[start..<newline])
                body(lineNumber, String(decoding: partial, as: UTF8.self))
            }
            partial.removeAll(keepingCapacity: false)
            skippingLongLine = false
            start = newline + 1
        }
    }
}
