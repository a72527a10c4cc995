import Foundation

/// Content digest of a file or a directory tree. A tree's digest is the sha256 of its sorted
/// `relative-path NUL file-sha256 LF` lines, so it changes when any file's bytes, name or presence change,
/// and not when timestamps or listing order do.
public enum TreeDigest {
    public static func sha256(ofItemAt path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileDigestError.cannotOpen(path: path, errno: ENOENT)
        }
        guard isDirectory.boolValue else { return try FileDigest.sha256(ofFileAt: path) }
        let root = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw FileDigestError.cannotOpen(path: path, errno: EACCES)
        }
        var relatives: [String] = []
        while let relative = walker.nextObject() as? String {
            if walker.fileAttributes?[.type] as? FileAttributeType == .typeRegular { relatives.append(relative) }
        }
        let files = relatives.map { root + "/" + $0 }
        // Files are hashed in parallel across the cores; the result does not depend on the order.
        let digests = try parallelDigests(files)
        let lines = zip(relatives, digests).map { relative, digest in relative + "\u{0}" + digest + "\n" }
        return FileDigest.sha256(of: Array(lines.sorted().joined().utf8))
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
    /// sha256 of each file, computed on all cores.
    static func parallelDigests(_ files: [String]) throws -> [String] {
        guard !files.isEmpty else { return [] }
        let slots = DigestSlots(count: files.count)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, files.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < files.count {
                do {
                    slots.digests[index] = try FileDigest.sha256(ofFileAt: files[index])
                } catch {
                    slots.errors[index] = error
                }
                index += workers
            }
        }
        if let error = slots.errors.compactMap({ $0 }).first { throw error }
        return Array(slots.digests)
    }
}
