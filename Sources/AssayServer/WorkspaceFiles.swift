import Foundation

/// Reading files on a request's behalf: only below a root, after resolving symbolic links and `..`, and bounded.
enum WorkspaceFiles {
    /// The real path of `path` (relative paths against `root`) when it lies under `root`; nil otherwise.
    static func resolve(_ path: String, under root: String) -> String? {
        guard !path.isEmpty, !path.contains("\0") else { return nil }
        let joined = path.hasPrefix("/") ? path : (root as NSString).appendingPathComponent(path)
        guard let real = realpath(joined, nil), let realRoot = realpath(root, nil) else { return nil }
        defer {
            free(real)
            free(realRoot)
        }
        let resolved = String(cString: real)
        let base = String(cString: realRoot)
        return resolved.hasPrefix(base == "/" ? "/" : base + "/") ? resolved : nil
    }

    /// The file's bytes; errors when it is larger than `limit`.
    static func read(_ path: String, limit: Int) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw CocoaError(.fileReadTooLarge) }
        return [UInt8](data)
    }
}
