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
        var lines: [String] = []
        let root = URL(fileURLWithPath: path)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw FileDigestError.cannotOpen(path: path, errno: EACCES)
        }
        let prefix = root.standardizedFileURL.path + "/"
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            let absolute = url.standardizedFileURL.path
            let relative = absolute.hasPrefix(prefix) ? String(absolute.dropFirst(prefix.count)) : absolute
            lines.append(relative + "\u{0}" + (try FileDigest.sha256(ofFileAt: absolute)) + "\n")
        }
        return FileDigest.sha256(of: Array(lines.sorted().joined().utf8))
    }
}
