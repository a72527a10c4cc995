import AssayCore
import Foundation

/// pdm.lock: one row per `[[package]]`, its file hashes (per package since lock_version 4.1, under
/// `[metadata.files]."name version"` before), its groups (a package only in non-default groups is qualified by
/// them), and its Git, path or URL source.
extension LockfileParser {
    static func pdm(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        let root = try toml(text, path: path)
        guard root["metadata"] != nil else { throw LockfileError(path: path, line: 0, expected: "a [metadata] table (a PDM lockfile)") }
        lockfile.specHash = root["metadata"]?["content_hash"]?.string
        let oldFiles = root["metadata"]?["files"]
        for (index, package) in packageArray(root).enumerated() {
            guard let name = package["name"]?.string else { throw LockfileError(path: path, line: 0, expected: "a name in [[package]] entry \(index + 1)") }
            let version = package["version"]?.string
            let files: [JSONValue] = if case .array(let items)? = package["files"] ?? oldFiles?["\(name) \(version ?? "")"] { items } else { [] }
            let hashes = files.compactMap { $0["hash"]?.string }
            let groups: [String] = if case .array(let g)? = package["groups"] { g.compactMap(\.string) } else { [] }
            var source: LockedPackage.Source?
            if let git = package["git"]?.string {
                source = gitSource(git, commit: package["revision"]?.string)
            } else if let local = package["path"]?.string {
                source = .init(kind: .path, location: local, pinned: false)
            } else if let url = package["url"]?.string {
                source = .init(kind: .url, location: url, pinned: !hashes.isEmpty)
            }
            guard let version = version ?? (source == nil ? nil : "*") else {
                throw LockfileError(path: path, line: 0, expected: "a version in [[package]] \(name)")
            }
            lockfile.packages.append(
                LockedPackage(
                    ecosystem: "pypi", name: normalizePyPI(name), version: version, hashes: hashes,
                    qualifier: groups.isEmpty || groups.contains("default") ? nil : groups.sorted().joined(separator: ","), source: source))
        }
    }
}
