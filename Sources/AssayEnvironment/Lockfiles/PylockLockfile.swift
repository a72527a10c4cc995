import AssayCore
import Foundation

/// pylock.toml (PEP 751, written by pip lock, uv export and PDM): one row per `[[packages]]` entry, with the
/// hashes of its wheels, sdist and archive, and its source when it is a VCS checkout, a directory or an archive.
extension LockfileParser {
    static func pylock(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        let root = try toml(text, path: path)
        guard root["lock-version"]?.string != nil else { throw LockfileError(path: path, line: 1, expected: "lock-version = \"1.0\" (a PEP 751 pylock.toml)") }
        guard case .array(let packages)? = root["packages"] else { throw LockfileError(path: path, line: 0, expected: "[[packages]] entries") }
        func hashes(_ value: JSONValue?) -> [String] {
            guard case .object(let table)? = value?["hashes"] else { return [] }
            return table.keys.sorted().compactMap { algorithm in table[algorithm]?.string.map { "\(algorithm):\($0)" } }
        }
        for (index, package) in packages.enumerated() {
            guard let name = package["name"]?.string else {
                throw LockfileError(path: path, line: 0, expected: "a name in [[packages]] entry \(index + 1)")
            }
            var found: [String] = []
            if case .array(let wheels)? = package["wheels"] { found += wheels.flatMap(hashes) }
            found += hashes(package["sdist"]) + hashes(package["archive"])
            var source: LockedPackage.Source?
            var version = package["version"]?.string
            if let vcs = package["vcs"] {
                let commit = vcs["commit-id"]?.string
                source = gitSource(vcs["url"]?.string ?? vcs["path"]?.string ?? "", commit: commit)
                version = version ?? commit
            } else if let directory = package["directory"] {
                source = .init(kind: .path, location: directory["path"]?.string ?? ".", pinned: false)
            } else if let archive = package["archive"] {
                let url = archive["url"]?.string
                source = .init(kind: url == nil ? .path : .url, location: url ?? archive["path"]?.string ?? "", pinned: !hashes(archive).isEmpty)
            }
            var row = LockedPackage(ecosystem: "pypi", name: normalizePyPI(name), version: version ?? "*", hashes: found, source: source)
            row.purlQualifiers = pypiIndex(package["index"]?.string)
            lockfile.packages.append(row)
        }
    }
}
