import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A tree that could not be read completely: unreadable files or directories, names that are not UTF-8.
public struct TreeDigestError: Error, Sendable, CustomStringConvertible, Equatable {
    public var path: String
    public var problems: [String]

    public init(path: String, problems: [String]) {
        self.path = path
        self.problems = problems
    }

    public var description: String {
        "\(path): cannot digest the tree completely: " + problems.prefix(5).joined(separator: "; ")
            + (problems.count > 5 ? "; and \(problems.count - 5) more" : "")
    }
}

/// Content digest of a file or a directory tree. A tree's digest is the sha256 of its listing: one line
/// `type mode size sha256 path` per entry, sorted by path — `f` for a regular file (sha256 of its bytes), `l`
/// for a symbolic link (sha256 of its target text; links are never followed, so loops cannot trap it). It
/// changes when any byte, name, permission or presence changes, and not when timestamps or listing order do.
public enum TreeDigest {
    public struct Entry: Sendable, Hashable {
        /// `f` regular file, `l` symbolic link.
        public var type: Character
        public var mode: UInt32
        public var size: Int
        public var sha256: String
        /// Relative path; bytes that are not UTF-8 are written `\xNN`.
        public var path: String

        public var line: String { "\(type) \(String(mode, radix: 8)) \(size) \(sha256) \(path)\n" }

        /// `line` as bytes, appended without building intermediate strings.
        func appendLine(to out: inout [UInt8]) {
            out.append(type == "l" ? UInt8(ascii: "l") : UInt8(ascii: "f"))
            out.append(UInt8(ascii: " "))
            Self.appendDigits(UInt64(mode), radix: 8, to: &out)
            out.append(UInt8(ascii: " "))
            Self.appendDigits(UInt64(max(0, size)), radix: 10, to: &out)
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: sha256.utf8)
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: path.utf8)
            out.append(UInt8(ascii: "\n"))
        }

        private static func appendDigits(_ value: UInt64, radix: UInt64, to out: inout [UInt8]) {
            var divisor: UInt64 = 1
            while value / divisor >= radix { divisor *= radix }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= radix
            }
        }
    }

    public struct Listing: Sendable, Hashable {
        public var entries: [Entry]
        /// Entries that could not be read, and names that are not UTF-8 (listed escaped).
        public var problems: [String]
        public var digest: String {
            var hasher = SHA256()
            var line: [UInt8] = []
            line.reserveCapacity(256)
            for entry in entries {
                line.removeAll(keepingCapacity: true)
                entry.appendLine(to: &line)
                hasher.update(data: line)
            }
            return FileDigest.hex(hasher.finalize())
        }
        public var totalBytes: Int { entries.reduce(0) { $0 + $1.size } }
    }

    /// sha256 of a file's bytes, or of a directory's listing. Throws when the tree cannot be read completely.
    public static func sha256(ofItemAt path: String, cache: StatCache? = nil) throws -> String {
        var status = stat()
        guard lstat(path, &status) == 0 else { throw FileDigestError.cannotOpen(path: path, errno: errno) }
        guard status.st_mode & S_IFMT == S_IFDIR else { return try fileSHA256(path, status: status, cache: cache) }
        let listing = try self.listing(of: path, cache: cache)
        guard listing.problems.isEmpty else { throw TreeDigestError(path: path, problems: listing.problems) }
        return listing.digest
    }

    /// sha256 of one file, from `cache` when its identity, size and times are unchanged.
    public static func fileSHA256(_ path: String, cache: StatCache?) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { throw FileDigestError.cannotOpen(path: path, errno: errno) }
        return try fileSHA256(path, status: status, cache: cache)
    }

    /// The same, for a file already stat'ed.
    public static func fileSHA256(_ path: String, status: stat, cache: StatCache?) throws -> String {
        if let cached = cache?.digest(status: status) { return cached }
        let digest = try FileDigest.sha256(ofFileAt: path)
        cache?.store(digest, status: status)
        return digest
    }

    /// Walks `root` with lstat (never following links) and hashes regular files on all cores, reusing digests
    /// from `cache` for files whose device, inode, size, mtime and ctime are unchanged.
    public static func listing(of root: String, cache: StatCache? = nil, progress: ProgressReporter? = nil) throws -> Listing {
        var found: [(relative: [UInt8], status: stat)] = []
        var problems: [String] = []
        walk(Array(root.utf8), relative: [], into: &found, problems: &problems)
        var entries: [Entry?] = Array(repeating: nil, count: found.count)
        var toHash: [Int] = []
        for (index, item) in found.enumerated() {
            let (name, nameProblem) = escape(item.relative)
            if let nameProblem { problems.append(nameProblem) }
            let mode = UInt32(item.status.st_mode) & 0o7777
            if item.status.st_mode & S_IFMT == S_IFLNK {
                let absolute = root + "/" + String(decoding: item.relative, as: UTF8.self)
                var buffer = [CChar](repeating: 0, count: 4097)
                let count = readlink(absolute, &buffer, 4096)
                let target = count >= 0 ? Array(buffer[0..<count].map { UInt8(bitPattern: $0) }) : []
                entries[index] = Entry(type: "l", mode: mode, size: target.count, sha256: FileDigest.sha256(of: target), path: name)
            } else if let cached = cache?.digest(status: item.status) {
                entries[index] = Entry(type: "f", mode: mode, size: Int(item.status.st_size), sha256: cached, path: name)
            } else {
                entries[index] = Entry(type: "f", mode: mode, size: Int(item.status.st_size), sha256: "", path: name)
                toHash.append(index)
            }
        }
        let paths = toHash.map { Array(root.utf8) + [UInt8(ascii: "/")] + found[$0].relative }
        progress?.start(totalBytes: toHash.reduce(0) { $0 + Int(found[$1].status.st_size) })
        let (digests, errors) = parallelDigests(paths, progress: progress)
        progress?.finish()
        for (slot, index) in toHash.enumerated() {
            if let error = errors[slot] {
                problems.append("\(entries[index]?.path ?? ""): \(error)")
                entries[index] = nil
                continue
            }
            entries[index]?.sha256 = digests[slot]
            cache?.store(digests[slot], status: found[index].status)
        }
        // Sorted by the bytes of the listed path; keys made once, compared with memcmp.
        let kept = entries.compactMap { $0 }
        let keys = kept.map { Array($0.path.utf8) }
        let order = kept.indices.sorted { a, b in
            keys[a].withUnsafeBufferPointer { x in
                keys[b].withUnsafeBufferPointer { y in
                    let common = min(x.count, y.count) == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, min(x.count, y.count))
                    return common != 0 ? common < 0 : x.count < y.count
                }
            }
        }
        let sorted = order.map { kept[$0] }
        return Listing(entries: sorted, problems: problems)
    }

    /// The names in `directory` (not `.` and `..`), sorted by their bytes; read with readdir, which for 20,000
    /// entries costs a tenth of FileManager's listing and sort.
    public static func names(in directory: String) throws -> [String] {
        guard let handle = opendir(directory) else { throw FileDigestError.cannotOpen(path: directory, errno: errno) }
        defer { closedir(handle) }
        var names: [[UInt8]] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: UInt8.self, capacity: 256) { Array(UnsafeBufferPointer(start: $0, count: strlen(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)))) }
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return names.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Collects regular files and links below `directory`, with their lstat results. Directories are opened
    /// relative to their parent's descriptor and entries stat'ed with fstatat, so no path is resolved twice.
    static func walk(_ directory: [UInt8], relative: [UInt8], into found: inout [(relative: [UInt8], status: stat)], problems: inout [String]) {
        let fd = (directory + [0]).withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { open(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self), O_RDONLY | O_DIRECTORY | O_CLOEXEC) } ?? -1
        }
        guard fd >= 0 else {
            problems.append(".: cannot open directory: \(String(cString: strerror(errno)))")
            return
        }
        walk(fd, relative: relative, into: &found, problems: &problems)
    }

    /// Walks the open directory `fd` (closed on return).
    private static func walk(_ fd: Int32, relative: [UInt8], into found: inout [(relative: [UInt8], status: stat)], problems: inout [String]) {
        guard let handle = fdopendir(fd) else {
            problems.append("\(escape(relative).0.isEmpty ? "." : escape(relative).0): cannot open directory: \(String(cString: strerror(errno)))")
            close(fd)
            return
        }
        defer { closedir(handle) }
        let parent = dirfd(handle)
        while let entry = readdir(handle) {
            var status = stat()
            var child: [UInt8] = []
            var subdirectory: Int32 = -1
            let ok = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: 256) { name -> Bool in
                    if name[0] == 0x2E, name[1] == 0 || (name[1] == 0x2E && name[2] == 0) { return true }  // . and ..
                    let length = strlen(name)
                    child.reserveCapacity(relative.count + 1 + length)
                    child.append(contentsOf: relative)
                    if !relative.isEmpty { child.append(UInt8(ascii: "/")) }
                    UnsafeRawBufferPointer(start: name, count: length).withMemoryRebound(to: UInt8.self) { child.append(contentsOf: $0) }
                    guard fstatat(parent, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else { return false }
                    if status.st_mode & S_IFMT == S_IFDIR {
                        subdirectory = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                        if subdirectory < 0 { return false }
                    }
                    return true
                }
            }
            if child.isEmpty { continue }
            guard ok else {
                problems.append("\(escape(child).0): cannot \(status.st_mode & S_IFMT == S_IFDIR ? "open directory" : "stat"): \(String(cString: strerror(errno)))")
                continue
            }
            switch status.st_mode & S_IFMT {
            case S_IFDIR: walk(subdirectory, relative: child, into: &found, problems: &problems)
            case S_IFREG, S_IFLNK: found.append((child, status))
            default: continue
            }
        }
    }

    /// The path as text; bytes that are not valid UTF-8 become `\xNN`, and are reported.
    static func escape(_ bytes: [UInt8]) -> (String, String?) {
        if let text = String(validating: bytes, as: UTF8.self) { return (text, nil) }
        let escaped = bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0) }.joined()
        return (escaped, "\(escaped): name is not UTF-8 (listed escaped)")
    }
}

/// Result slots written from several threads: raw memory, one slot per file, each written by one thread only
/// (a Swift array would check uniqueness on every write and race).
private final class DigestSlots: @unchecked Sendable {
    let digests: UnsafeMutableBufferPointer<String>
    let errors: UnsafeMutableBufferPointer<(any Error)?>

    init(count: Int) {
        digests = .allocate(capacity: count)
        digests.initialize(repeating: "")
        errors = .allocate(capacity: count)
        errors.initialize(repeating: nil)
    }

    deinit {
        digests.deinitialize()
        digests.deallocate()
        errors.deinitialize()
        errors.deallocate()
    }
}

extension TreeDigest {
    /// sha256 of each file, computed on all cores; an error per file that could not be read.
    static func parallelDigests(_ files: [[UInt8]], progress: ProgressReporter? = nil) -> ([String], [(any Error)?]) {
        guard !files.isEmpty else { return ([], []) }
        let slots = DigestSlots(count: files.count)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, files.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < files.count {
                do {
                    slots.digests[index] = try FileDigest.sha256(ofFileAtRawPath: files[index])
                } catch {
                    slots.errors[index] = error
                }
                progress?.advance(file: String(decoding: files[index], as: UTF8.self))
                index += workers
            }
        }
        return (Array(slots.digests), Array(slots.errors))
    }
}

/// Remembers file digests by (device, inode, size, mtime, ctime), so an unchanged tree re-snapshots without
/// reading its files. Kept outside the audited tree (`defaultPath(forRoot:)`, under `$XDG_CACHE_HOME/assay`) in a
/// compact binary file of fixed 72-byte records; a damaged or foreign cache file is ignored, never trusted.
/// Saving keeps only the files seen since the cache was loaded, so deleted files do not accumulate.
public final class StatCache: @unchecked Sendable {
    struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    struct Record {
        var size: Int64
        var mtimeNanoseconds: Int64
        var ctimeNanoseconds: Int64
        var digest: SHA256Digest.Raw

        /// The same size and times: the file has not been written since its digest was taken.
        func unchanged(_ other: Record) -> Bool {
            size == other.size && mtimeNanoseconds == other.mtimeNanoseconds && ctimeNanoseconds == other.ctimeNanoseconds
        }
    }

    static let magic = Array("ASSAYSC2".utf8)
    static let recordSize = 72

    private let lock = NSLock()
    private var loaded: [Identity: Record]
    private var seen: [Identity: Record] = [:]
    /// A digest was added or replaced since loading (a file that is gone is noticed at saving).
    private var changed = false
    public let path: String?

    /// An empty cache, or the one saved at `path`.
    public init(path: String? = nil) {
        self.path = path
        loaded = path.flatMap { FileManager.default.contents(atPath: $0) }.flatMap(Self.decode) ?? [:]
        seen.reserveCapacity(loaded.count)
    }

    /// `$XDG_CACHE_HOME/assay/stat-cache/<sha256 of the root's real path>.bin` (`~/.cache` when unset).
    public static func defaultPath(forRoot root: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
        let resolved = realpath(root, nil).map { pointer -> String in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? root
        return base + "/assay/stat-cache/" + FileDigest.sha256(of: Array(resolved.utf8)).prefix(32) + ".bin"
    }

    static func identity(_ status: stat) -> Identity {
        Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    static func record(_ status: stat, _ digest: SHA256Digest.Raw) -> Record {
        Record(
            size: Int64(status.st_size),
            mtimeNanoseconds: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec),
            ctimeNanoseconds: Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec), digest: digest)
    }

    /// The cached hex digest when the file's identity, size and times are unchanged.
    func digest(status: stat) -> String? {
        let identity = Self.identity(status)
        lock.lock()
        defer { lock.unlock() }
        guard let record = loaded[identity] ?? seen[identity], record.unchanged(Self.record(status, record.digest)) else { return nil }
        seen[identity] = record
        return SHA256Digest.hex(record.digest)
    }

    func store(_ digest: String, status: stat) {
        guard let raw = SHA256Digest.raw(hex: digest) else { return }
        lock.lock()
        seen[Self.identity(status)] = Self.record(status, raw)
        changed = true
        lock.unlock()
    }

    /// Files remembered: those seen since loading, else those loaded.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return seen.isEmpty ? loaded.count : seen.count
    }

    /// Writes the files seen since loading atomically to the cache's path; nothing when every file was found
    /// unchanged in the cache and none is gone.
    public func save() throws {
        guard let path else { return }
        lock.lock()
        let unchanged = !changed && seen.count == loaded.count
        let bytes = unchanged ? [] : Self.encode(seen)
        lock.unlock()
        if !unchanged { try AtomicFile.write(bytes, to: path) }
    }

    static func encode(_ records: [Identity: Record]) -> [UInt8] {
        var out = magic
        out.reserveCapacity(magic.count + 8 + records.count * recordSize)
        func append(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        append(UInt64(records.count))
        for (identity, record) in records {
            append(identity.device)
            append(identity.inode)
            append(UInt64(bitPattern: record.size))
            append(UInt64(bitPattern: record.mtimeNanoseconds))
            append(UInt64(bitPattern: record.ctimeNanoseconds))
            withUnsafeBytes(of: record.digest) { out.append(contentsOf: $0) }
        }
        return out
    }

    static func decode(_ data: Data) -> [Identity: Record]? {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> [Identity: Record]? in
            guard bytes.count >= magic.count + 8, Array(bytes[0..<magic.count]) == magic else { return nil }
            func word(_ offset: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
            let count = Int(clamping: word(magic.count))
            let start = magic.count + 8
            guard count >= 0, bytes.count == start + count * recordSize else { return nil }
            var records: [Identity: Record] = [:]
            records.reserveCapacity(count)
            for index in 0..<count {
                let base = start + index * recordSize
                records[Identity(device: word(base), inode: word(base + 8))] = Record(
                    size: Int64(bitPattern: word(base + 16)), mtimeNanoseconds: Int64(bitPattern: word(base + 24)),
                    ctimeNanoseconds: Int64(bitPattern: word(base + 32)),
                    digest: bytes.loadUnaligned(fromByteOffset: base + 40, as: SHA256Digest.Raw.self))
            }
            return records
        }
    }
}

/// A SHA-256 digest as 32 raw bytes, and its conversion to and from lowercase hex.
enum SHA256Digest {
    typealias Raw = (UInt64, UInt64, UInt64, UInt64)

    static func raw(hex: String) -> Raw? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in 0..<32 {
            guard let high = nibble(digits[2 * index]), let low = nibble(digits[2 * index + 1]) else { return nil }
            bytes[index] = high << 4 | low
        }
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: Raw.self) }
    }

    static func hex(_ raw: Raw) -> String {
        withUnsafeBytes(of: raw) { FileDigest.hex($0) }
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// A progress line on standard error for long hashing work, only on a terminal.
public final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    private var done = 0
    private var lastPrint = ContinuousClock.now
    private let enabled: Bool

    /// Reports only when standard error is a terminal and NO_COLOR-style quietness is not asked for.
    public init(enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.enabled = enabled
    }

    func start(totalBytes: Int) {
        lock.lock()
        total = totalBytes
        done = 0
        lock.unlock()
    }

    func advance(file: String) {
        guard enabled else { return }
        var status = stat()
        let size = stat(file, &status) == 0 ? Int(status.st_size) : 0
        lock.lock()
        done += size
        let now = ContinuousClock.now
        let due = now - lastPrint > .milliseconds(200) && total > 64 << 20
        if due { lastPrint = now }
        let (d, t) = (done, total)
        lock.unlock()
        if due {
            let line = String(format: "\rhashing %.2f / %.2f GiB (%.0f%%)", Double(d) / 1_073_741_824, Double(t) / 1_073_741_824, Double(d) / Double(max(t, 1)) * 100)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    func finish() {
        if enabled, total > 64 << 20 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
