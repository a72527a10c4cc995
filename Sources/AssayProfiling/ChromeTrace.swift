import AssayCore
import Foundation
import Synchronization

/// One trace event, with the fields attribution needs, in 72 bytes (a large trace holds hundreds of thousands).
/// Times are microseconds.
public struct TraceEvent: Sendable, Hashable {
    public var name: String
    public var category: String
    public var timestamp: Double
    public var duration: Double
    /// `args.correlation`: links a GPU op to the CUDA runtime call that launched it.
    public var correlation: Int?
    /// The event's `pid`/`tid` pair: an index into its trace's `threads`.
    public var thread: UInt32
    /// `X` complete, `B`/`E` begin/end, `i`/`I` instant, `M` metadata, `C` counter, `s`/`t`/`f` flow…
    public var phase: UInt8
    /// `args.op_name` and `args.provider` of an ONNX Runtime node, as a number in `OperatorDetails` (0: none), so
    /// an event stays 72 bytes in traces of millions.
    var detail: UInt32 = 0
    public var end: Double { timestamp + duration }

    /// `args.op_name`: the operator type of an ONNX Runtime node (Conv, MatMul, …), where the event names a node.
    public var operatorName: String? { OperatorDetails.detail(detail).operatorName }
    /// `args.provider`: the ONNX Runtime execution provider that ran the node (CPUExecutionProvider, …).
    public var provider: String? { OperatorDetails.detail(detail).provider }
}

/// The distinct (operator type, provider) pairs of every trace read in this process, numbered from 1: a trace has
/// a handful, and each event keeps only the number.
enum OperatorDetails {
    struct Detail: Hashable {
        var operatorName: String?
        var provider: String?
    }

    private static let table = Mutex<(numbers: [Detail: UInt32], details: [Detail])>(([:], [Detail()]))

    static func number(_ detail: Detail) -> UInt32 {
        if detail.operatorName == nil, detail.provider == nil { return 0 }
        return table.withLock { table in
            if let known = table.numbers[detail] { return known }
            let number = UInt32(table.details.count)
            table.details.append(detail)
            table.numbers[detail] = number
            return number
        }
    }

    static func detail(_ number: UInt32) -> Detail {
        number == 0 ? Detail() : table.withLock { $0.details[Int(number)] }
    }
}

/// A `pid`/`tid` pair as written (integers or strings such as "Spans").
public struct TraceThread: Sendable, Hashable {
    public var pid: String
    public var tid: String
}

/// A trace file's events: spans (`X`, `B`/`E`) and instants (`i`/`I`) in file order. Flow, metadata, counter
/// and other events are parsed and counted by phase, not kept: attribution links GPU ops to launches by
/// `args.correlation`, and keeping them would cost memory on large traces.
public struct ChromeTrace: Sendable {
    public var events: [TraceEvent]
    /// Every `pid`/`tid` pair, indexed by the events' `thread`.
    public var threads: [TraceThread] = []
    /// Events parsed but not kept, by phase (`f`, `s`, `M`, `C` …).
    public var otherPhases: [UInt8: Int] = [:]
    /// Events that were skipped because they lacked a phase or timestamp.
    public var skipped: Int
    /// True when a bare array ended without its closing bracket (allowed by the format).
    public var unterminated: Bool
}

/// A trace that cannot be read, with the byte offset and what was expected there.
public struct TraceError: Error, Sendable, CustomStringConvertible, Equatable {
    public var path: String
    public var byteOffset: Int
    public var expected: String

    public init(path: String, byteOffset: Int, expected: String) {
        self.path = path
        self.byteOffset = byteOffset
        self.expected = expected
    }

    public var description: String { "\(path): byte \(byteOffset): expected \(expected)" }
}

/// Reads the Chrome trace event format as torch.profiler (Kineto), TensorFlow and py-spy write it:
/// `{"traceEvents": […]}` or a bare, possibly unterminated array; `.json.gz` too. A byte-level scanner:
/// no document tree is built, only the events' needed fields are kept, the rest is skipped.
public struct ChromeTraceParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let path: String
    private var index = 0
    /// Interned strings (names, categories, pids, tids): an open-addressing table on the FNV-1a hash of the raw
    /// bytes, which are kept here (the input behind the parser may have been handed back).
    private var interned = InternTable()
    private var lastDetail: (pair: OperatorDetails.Detail, number: UInt32)?
    private var threads: [TraceThread] = []
    /// Thread numbers by the interned pid and tid, with the last one looked up (events of a thread come in runs).
    private var threadNumbers: [UInt64: UInt32] = [:]
    private var lastThread: (key: UInt64, number: UInt32)?
    /// Told every few megabytes how far the parser has come, so the input before that can be released.
    var consumed: ((Int) -> Void)?

    /// How many times its compressed size a gzip trace may inflate to (beyond 256 MiB).
    public static let maxInflationRatio = 100

    /// Reads a trace file, plain or gzip, in one pass over a memory map whose pages are handed back behind the
    /// parser: a gzip trace is inflated a megabyte at a time into an unlinked temporary file first. Peak memory is
    /// then the events, not the file.
    public static func parse(path: String) throws -> ChromeTrace {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TraceError(path: path, byteOffset: 0, expected: "a readable file") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw TraceError(path: path, byteOffset: 0, expected: "a readable file") }
        var magic: [UInt8] = [0, 0]
        let gzip = pread(fd, &magic, 2, 0) == 2 && magic == [0x1f, 0x8b]
        guard gzip else { return try parse(mapping: fd, size: Int(info.st_size), path: path) }
        // Real traces inflate 5–20×; a bomb inflates a thousandfold. Bound the output by the ratio, and absolutely.
        let limit = min(4 << 30, max(256 << 20, Int(info.st_size) * maxInflationRatio))
        var template = Array((NSTemporaryDirectory() + "/assay-trace-XXXXXX").utf8CString)
        let inflated = mkstemp(&template)
        guard inflated >= 0 else { throw TraceError(path: path, byteOffset: 0, expected: "room for the inflated trace in the temporary directory") }
        unlink(template)
        defer { close(inflated) }
        let size: Int
        do { size = try Gzip.decompress(file: fd, into: inflated, limit: limit) } catch let error as Gzip.Error {
            throw TraceError(path: path, byteOffset: 0, expected: "valid gzip (\(error.message))")
        }
        return try parse(mapping: inflated, size: size, path: path)
    }

    private static func parse(mapping fd: Int32, size: Int, path: String) throws -> ChromeTrace {
        guard let file = MappedFile(fd: fd, size: size) else {
            throw TraceError(path: path, byteOffset: 0, expected: "a file that can be mapped into memory")
        }
        return try withExtendedLifetime(file) {
            var parser = ChromeTraceParser(bytes: file.buffer, path: path)
            parser.consumed = { [unowned file] in file.release(upTo: $0) }
            return try parser.document()
        }
    }

    public static func parse(bytes: [UInt8], path: String = "trace") throws -> ChromeTrace {
        try bytes.withUnsafeBufferPointer { buffer in
            var parser = ChromeTraceParser(bytes: buffer, path: path)
            return try parser.document()
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
    }

    private func error(_ expected: String) -> TraceError { TraceError(path: path, byteOffset: index, expected: expected) }

    private mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0a || bytes[index] == 0x0d || bytes[index] == 0x09 {
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw error(what) }
        index += 1
    }

    private mutating func document() throws -> ChromeTrace {
        skipWhitespace()
        guard index < bytes.count else { throw error("a JSON object or array") }
        if bytes[index] == UInt8(ascii: "[") {
            return try eventArray(allowUnterminated: true)
        }
        guard bytes[index] == UInt8(ascii: "{") else { throw error("{\"traceEvents\": […]} or […]") }
        index += 1
        var trace: ChromeTrace?
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { break }
            let key = try stringBytes()
            try expect(UInt8(ascii: ":"), ":")
            skipWhitespace()
            if key.elementsEqual("traceEvents".utf8) {
                trace = try eventArray(allowUnterminated: false)
            } else {
                try skipValue()
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("} closing the trace object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { break }
            throw error(", or }")
        }
        guard let trace else { throw TraceError(path: path, byteOffset: 0, expected: "a traceEvents array") }
        return trace
    }

    private mutating func eventArray(allowUnterminated: Bool) throws -> ChromeTrace {
        try expect(UInt8(ascii: "["), "[")
        var events: [TraceEvent] = []
        // Real traces run 250 to 450 bytes per event: reserving up front avoids the copies of a growing array.
        events.reserveCapacity(max(16, (bytes.count - index) / 320))
        var otherPhases: [UInt8: Int] = [:]
        var skipped = 0
        var reported = index
        while true {
            if index - reported >= 4 << 20, let consumed {
                consumed(index)
                reported = index
            }
            skipWhitespace()
            if index >= bytes.count {
                if allowUnterminated {
                    return ChromeTrace(events: events, threads: threads, otherPhases: otherPhases, skipped: skipped, unterminated: true)
                }
                throw error("] closing traceEvents")
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return ChromeTrace(events: events, threads: threads, otherPhases: otherPhases, skipped: skipped, unterminated: false)
            }
            if let event = try self.event() {
                switch event.phase {
                case UInt8(ascii: "X"), UInt8(ascii: "B"), UInt8(ascii: "E"), UInt8(ascii: "i"), UInt8(ascii: "I"): events.append(event)
                default: otherPhases[event.phase, default: 0] += 1
                }
            } else {
                skipped += 1
            }
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
        }
    }

    private mutating func event() throws -> TraceEvent? {
        try expect(UInt8(ascii: "{"), "{ starting an event")
        var phase: UInt8?
        var name = ""
        var category = ""
        var ts: Double?
        var dur = 0.0
        var pid: Int32 = 0
        var tid: Int32 = 0
        var args = EventArgs()
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; break }
            let key = try stringBytes()
            try expect(UInt8(ascii: ":"), ":")
            skipWhitespace()
            switch Self.packed(key) {
            case Self.phKey: phase = try stringBytes().first
            case Self.nameKey: name = try internedText()
            case Self.catKey: category = try internedText()
            case Self.tsKey: ts = try time()
            case Self.durKey: dur = try time()
            case Self.pidKey: pid = try scalarText()
            case Self.tidKey: tid = try scalarText()
            case Self.argsKey: args = try eventArgs()
            default: try skipValue()
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("} closing the event") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw error(", or } in an event")
        }
        guard let phase, let ts else { return nil }
        var detail: UInt32 = 0
        if args.operatorName != nil || args.provider != nil {
            let pair = OperatorDetails.Detail(operatorName: args.operatorName, provider: args.provider)
            if let lastDetail, lastDetail.pair == pair {
                detail = lastDetail.number
            } else {
                detail = OperatorDetails.number(pair)
                lastDetail = (pair, detail)
            }
        }
        return TraceEvent(
            name: name, category: category, timestamp: ts, duration: dur, correlation: args.correlation, thread: thread(pid: pid, tid: tid),
            phase: phase, detail: detail)
    }

    /// The number of the thread with these interned pid and tid.
    private mutating func thread(pid: Int32, tid: Int32) -> UInt32 {
        let key = UInt64(UInt32(bitPattern: pid)) << 32 | UInt64(UInt32(bitPattern: tid))
        if let lastThread, lastThread.key == key { return lastThread.number }
        let number: UInt32
        if let known = threadNumbers[key] {
            number = known
        } else {
            number = UInt32(threads.count)
            threadNumbers[key] = number
            threads.append(TraceThread(pid: interned.text(pid), tid: interned.text(tid)))
        }
        lastThread = (key, number)
        return number
    }

    /// A key of up to eight bytes as one integer (little-endian), so keys compare in one instruction; longer keys
    /// are never the ones looked for here.
    @inline(__always) private static func packed(_ key: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64 {
        guard key.count <= 8 else { return 0 }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for byte in key {
            value |= UInt64(byte) << shift
            shift += 8
        }
        return value
    }

    private static func packed(_ key: StaticString) -> UInt64 {
        key.withUTF8Buffer { packed($0[...]) }
    }

    private static let phKey = packed("ph")
    private static let nameKey = packed("name")
    private static let catKey = packed("cat")
    private static let tsKey = packed("ts")
    private static let durKey = packed("dur")
    private static let pidKey = packed("pid")
    private static let tidKey = packed("tid")
    private static let argsKey = packed("args")

    /// What is kept of an event's args.
    struct EventArgs {
        var correlation: Int?
        var operatorName: String?
        var provider: String?
    }

    /// `args.correlation`, `args.op_name` and `args.provider` (ONNX Runtime) if present; the rest of args is skipped.
    private mutating func eventArgs() throws -> EventArgs {
        var args = EventArgs()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else {
            try skipValue()
            return args
        }
        index += 1
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return args }
            let key = try stringBytes()
            try expect(UInt8(ascii: ":"), ":")
            skipWhitespace()
            let base = key.base.baseAddress! + key.startIndex
            if key.count == 11, memcmp(base, Self.correlationKey, 11) == 0 {
                args.correlation = Int(exactly: try number())
            } else if key.count == 7, memcmp(base, Self.opNameKey, 7) == 0, index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                args.operatorName = try internedText()
            } else if key.count == 8, memcmp(base, Self.providerKey, 8) == 0, index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                args.provider = try internedText()
            } else {
                try skipValue()
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("} closing args") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return args }
            throw error(", or } in args")
        }
    }

    private static let correlationKey: [UInt8] = Array("correlation".utf8)
    private static let opNameKey: [UInt8] = Array("op_name".utf8)
    private static let providerKey: [UInt8] = Array("provider".utf8)

    /// The raw bytes of a string (escapes left as written; used for keys and phases).
    private mutating func stringBytes() throws -> Slice<UnsafeBufferPointer<UInt8>> {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("a string") }
        index += 1
        let start = index
        let base = bytes.baseAddress!
        while true {
            // The next quote, then whether an odd run of backslashes escapes it.
            guard let found = memchr(base + index, Int32(UInt8(ascii: "\"")), bytes.count - index) else {
                index = bytes.count
                throw error("the end of a string")
            }
            let quote = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            var backslashes = 0
            while quote - backslashes - 1 >= start, bytes[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
            index = quote + 1
            if backslashes % 2 == 0 { return bytes[start..<quote] }
        }
    }

    /// Names and categories repeat: each distinct one becomes a String once. Returns its number in `interned`.
    private mutating func internedString() throws -> Int32 {
        interned.intern(try stringBytes())
    }

    /// The interned string's text (read in two steps: `interned` changes while the string is read).
    private mutating func internedText() throws -> String {
        let number = try internedString()
        return interned.text(number)
    }

    /// A timestamp or duration in microseconds: finite and within ±10^18 (beyond that it is no time a trace can
    /// hold, and sums of such spans would overflow the whole-microsecond totals downstream).
    private mutating func time() throws -> Double {
        let start = index
        let value = try number()
        guard value.isFinite, abs(value) <= 1e18 else {
            index = start
            throw error("a time in microseconds within ±1e18")
        }
        return value
    }

    /// A number, or a number written as a string (some exporters quote `ts`).
    private mutating func number() throws -> Double {
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            let raw = try stringBytes()
            guard let value = Double(String(decoding: raw, as: UTF8.self)) else { throw error("a number") }
            return value
        }
        let start = index
        while index < bytes.count, (bytes[index] >= 0x30 && bytes[index] <= 0x39) || bytes[index] == UInt8(ascii: ".")
            || bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "e")
            || bytes[index] == UInt8(ascii: "E")
        {
            index += 1
        }
        guard index > start, let value = fastDouble(bytes[start..<index]) else { throw error("a number") }
        return value
    }

    /// Plain decimals parsed by hand (the common case); anything else through the standard library.
    private func fastDouble(_ slice: Slice<UnsafeBufferPointer<UInt8>>) -> Double? {
        var integer: UInt64 = 0
        var fraction: UInt64 = 0
        var scale = 1.0
        var negative = false
        var seenPoint = false
        var digits = 0
        for (offset, byte) in slice.enumerated() {
            if byte == UInt8(ascii: "-"), offset == 0 { negative = true; continue }
            if byte == UInt8(ascii: "."), !seenPoint { seenPoint = true; continue }
            guard byte >= 0x30, byte <= 0x39, digits < 18 else { return Double(String(decoding: slice, as: UTF8.self)) }
            digits += 1
            if seenPoint {
                fraction = fraction * 10 + UInt64(byte - 0x30)
                scale *= 10
            } else {
                integer = integer * 10 + UInt64(byte - 0x30)
            }
        }
        let value = Double(integer) + Double(fraction) / scale
        return negative ? -value : value
    }

    /// pid and tid: integers or strings, interned as written.
    private mutating func scalarText() throws -> Int32 {
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") { return try internedString() }
        let start = index
        try skipValue()
        return interned.intern(bytes[start..<index])
    }

    private mutating func skipValue() throws {
        skipWhitespace()
        guard index < bytes.count else { throw error("a value") }
        switch bytes[index] {
        case UInt8(ascii: "\""): _ = try stringBytes()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { _ = try stringBytes(); continue }
                if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
                if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { index += 1; return }
                }
                index += 1
            }
            throw error("the end of a nested value")
        default:
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte <= 0x20 { break }
                index += 1
            }
        }
    }
}

/// Distinct strings by their raw bytes, numbered in order of first sight: an open-addressing table on FNV-1a.
private struct InternTable {
    private var bytes: [UInt8] = []
    private var entries: [(hash: UInt64, start: Int, count: Int, text: String)] = []
    private var slots = [Int32](repeating: -1, count: 1024)

    /// Number 0 is the empty string, which absent pids and tids read as.
    init() { _ = intern(UnsafeBufferPointer(start: nil, count: 0)[...]) }

    func text(_ number: Int32) -> String { entries[Int(number)].text }

    mutating func intern(_ raw: Slice<UnsafeBufferPointer<UInt8>>) -> Int32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in raw { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        let pointer = raw.base.baseAddress.map { $0 + raw.startIndex }
        while slots[slot] >= 0 {
            let entry = entries[Int(slots[slot])]
            if entry.hash == hash, entry.count == raw.count,
                raw.isEmpty || bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress! + entry.start, pointer!, raw.count) == 0 })
            {
                return slots[slot]
            }
            slot = (slot + 1) & mask
        }
        let text: String
        if raw.contains(UInt8(ascii: "\\")) {
            let quoted = [UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]
            text = (try? JSONDecoder().decode(String.self, from: Data(quoted))) ?? String(decoding: raw, as: UTF8.self)
        } else {
            text = String(decoding: raw, as: UTF8.self)
        }
        let number = Int32(entries.count)
        entries.append((hash, bytes.count, raw.count, text))
        bytes.append(contentsOf: raw)
        slots[slot] = number
        if entries.count * 2 > slots.count { grow() }
        return number
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (number, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash ^ (entry.hash >> 29)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(number)
        }
    }
}

extension TraceError: AssayError {
    public var exitCode: Int32 { ExitStatus.invalidInput }
}
