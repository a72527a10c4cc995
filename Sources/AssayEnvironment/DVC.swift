import AssayCore
import Crypto
import Foundation
import Synchronization
import Yams

/// DVC's content hashes, reproduced exactly: a file's md5 (DVC 3, `hash: md5`; DVC 2's `md5-dos2unix` turns
/// CRLF into LF in text files first), and a directory's `<md5>.dir`: the md5 of Python's
/// `json.dumps(sorted([{"md5": …, "relpath": …}]), sort_keys=True)` over every file below it.
public enum DVCHash {
    public enum Algorithm: String, Sendable, Hashable {
        case md5
        case md5Dos2unix = "md5-dos2unix"
    }

    public struct Directory: Sendable, Hashable {
        public var md5: String
        public var size: Int
        public var nfiles: Int
    }

    /// md5 of a file as DVC records it.
    public static func md5(ofFileAt path: String, algorithm: Algorithm = .md5) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileDigestError.cannotOpen(path: path, errno: errno) }
        defer { try? handle.close() }
        var hasher = Insecure.MD5()
        var first = true
        var text = false
        var pendingCR = false
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            if first {
                text = algorithm == .md5Dos2unix && isText(chunk.prefix(512))
                first = false
            }
            guard text else {
                hasher.update(data: chunk)
                continue
            }
            // CRLF → LF, across chunk boundaries.
            var out = [UInt8]()
            out.reserveCapacity(chunk.count + 1)
            for byte in chunk {
                if pendingCR {
                    if byte != UInt8(ascii: "\n") { out.append(UInt8(ascii: "\r")) }
                    pendingCR = false
                }
                if byte == UInt8(ascii: "\r") { pendingCR = true } else { out.append(byte) }
            }
            hasher.update(data: out)
        }
        if pendingCR { hasher.update(data: [UInt8(ascii: "\r")]) }
        return hex(hasher.finalize())
    }

    /// DVC's text test on a file's first 512 bytes: no NUL, and at most 30% outside printable ASCII and \n\r\t\f\b.
    static func isText<C: Collection>(_ block: C) -> Bool where C.Element == UInt8 {
        if block.isEmpty { return true }
        if block.contains(0) { return false }
        let nontext = block.filter { !((32..<127).contains($0) || [10, 13, 9, 12, 8].contains($0)) }.count
        return Double(nontext) / Double(block.count) <= 0.30
    }

    /// `<md5>.dir`, total size and file count of a directory, files hashed in parallel.
    public static func directory(at root: String, algorithm: Algorithm = .md5) throws -> Directory {
        let files = try regularFiles(under: root)
        let digests = Mutex([String?](repeating: nil, count: files.count))
        let failure = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            do {
                let digest = try md5(ofFileAt: root + "/" + files[index].relpath, algorithm: algorithm)
                digests.withLock { $0[index] = digest }
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        let md5s = digests.withLock { $0 }
        let entries = zip(files, md5s).map { (relpath: $0.relpath, md5: $1 ?? "") }
        return Directory(
            md5: hex(Insecure.MD5.hash(data: Array(treeJSON(entries).utf8))) + ".dir",
            size: files.reduce(0) { $0 + $1.size }, nfiles: files.count)
    }

    /// Regular files below `root` (symlinked files by their target, symlinked directories not entered),
    /// sorted by relative path in code-point order, as Python sorts them.
    static func regularFiles(under root: String) throws -> [(relpath: String, size: Int)] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { throw FileDigestError.cannotOpen(path: root, errno: errno) }
        var files: [(relpath: String, size: Int)] = []
        while let relative = enumerator.nextObject() as? String {
            var info = stat()
            guard stat(root + "/" + relative, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFREG { files.append((relative, Int(info.st_size))) }
        }
        return files.sorted { $0.relpath.unicodeScalars.lexicographicallyPrecedes($1.relpath.unicodeScalars) }
    }

    /// `json.dumps(entries, sort_keys=True)` with Python's defaults: `", "` and `": "`, ASCII only.
    static func treeJSON(_ entries: [(relpath: String, md5: String)]) -> String {
        "[" + entries.map { "{\"md5\": \(pythonJSONString($0.md5)), \"relpath\": \(pythonJSONString($0.relpath))}" }.joined(separator: ", ") + "]"
    }

    /// A string as Python's json module writes it with `ensure_ascii=True`.
    static func pythonJSONString(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default: out += "\\u" + String(repeating: "0", count: 4 - String(unit, radix: 16).count) + String(unit, radix: 16)
            }
        }
        return out + "\""
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// One output recorded in a `.dvc` file or `dvc.lock`: where it is, relative to that file, and its hash.
public struct DVCOutput: Sendable, Hashable {
    public var path: String
    /// `22a1…` for a file, `153a….dir` for a directory.
    public var md5: String
    public var size: Int?
    public var nfiles: Int?
    public var algorithm: DVCHash.Algorithm
    /// The stage that writes it (dvc.lock), or nil for a `.dvc` file.
    public var stage: String?

    public var isDirectory: Bool { md5.hasSuffix(".dir") }

    /// The outputs of a `.dvc` file (`outs:`) or a `dvc.lock` (`stages.<name>.outs`).
    public static func read(path: String) throws -> [DVCOutput] {
        guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
            throw LockfileError(path: path, line: 0, expected: "a readable DVC file")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw LockfileError(path: path, line: 0, expected: "YAML (\(error))")
        }
        guard let root = node?.mapping else { throw LockfileError(path: path, line: 1, expected: "a mapping with outs: or stages:") }
        var outputs: [DVCOutput] = []
        if let outs = root["outs"] {
            outputs += try entries(outs, stage: nil, path: path)
        }
        if let stages = root["stages"]?.mapping {
            for (name, stage) in stages {
                if let outs = stage.mapping?["outs"] { outputs += try entries(outs, stage: name.string, path: path) }
            }
        }
        guard !outputs.isEmpty || root["outs"] != nil || root["stages"] != nil else {
            throw LockfileError(path: path, line: 1, expected: "outs: (a .dvc file) or stages: (dvc.lock)")
        }
        return outputs
    }

    private static func entries(_ node: Node, stage: String?, path: String) throws -> [DVCOutput] {
        guard let items = node.sequence else {
            throw LockfileError(path: path, line: node.mark.map { $0.line } ?? 0, expected: "a list of outputs")
        }
        return try items.map { item in
            let line = item.mark.map { $0.line } ?? 0
            guard let fields = item.mapping, let outPath = fields["path"]?.string else {
                throw LockfileError(path: path, line: line, expected: "an output with path:")
            }
            guard let md5 = fields["md5"]?.string else {
                throw LockfileError(path: path, line: line, expected: "md5: for \(outPath) (only md5 outputs can be verified)")
            }
            let algorithm: DVCHash.Algorithm = fields["hash"]?.string == "md5" ? .md5 : .md5Dos2unix
            return DVCOutput(
                path: outPath, md5: md5, size: fields["size"]?.int, nfiles: fields["nfiles"]?.int, algorithm: algorithm,
                stage: stage)
        }
    }

    /// The deployed output's hash, computed as DVC would; nil when it is missing.
    public func observedMD5(relativeTo directory: String) throws -> String? {
        let absolute = path.hasPrefix("/") ? path : directory + "/" + path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else { return nil }
        return isDirectory.boolValue
            ? try DVCHash.directory(at: absolute, algorithm: algorithm).md5 : try DVCHash.md5(ofFileAt: absolute, algorithm: algorithm)
    }
}
