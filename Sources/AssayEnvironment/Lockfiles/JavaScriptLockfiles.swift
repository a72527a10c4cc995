import AssayCore
import Foundation
import Yams

/// yarn.lock (classic v1 and Berry v2+) and pnpm-lock.yaml (v6 and v9): one row per locked package version, with its
/// integrity hashes and, for Git, file and workspace packages, its source.
extension LockfileParser {
    // MARK: yarn

    /// A yarn.lock: Berry (v2+, YAML with `__metadata`) or classic v1 (its own indented format).
    static func yarn(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        if text.contains("\n__metadata:") || text.hasPrefix("__metadata:") {
            try yarnBerry(text, path: path, into: &lockfile)
        } else {
            lockfile.packages = try yarnClassic(text, path: path)
        }
    }

    /// The package name of a yarn specifier or resolution, or a pnpm key: `@scope/name@npm:^1.0` → `@scope/name`.
    static func npmPackageName(_ specifier: Substring) -> String? {
        let text = specifier.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let searchStart = text.hasPrefix("@") ? text.index(after: text.startIndex) : text.startIndex
        guard let at = text[searchStart...].firstIndex(of: "@") else { return nil }
        let name = String(text[..<at])
        return name.isEmpty ? nil : name
    }

    /// Classic yarn.lock: blocks headed by their specifiers (`"a@^1", a@^1.2:`), each with `version`, `resolved`
    /// (a URL whose `#` fragment is the tarball's SHA-1) and `integrity` (SRI) indented under it.
    static func yarnClassic(_ text: String, path: String) throws -> [LockedPackage] {
        var packages: [LockedPackage] = []
        var current: (name: String, line: Int)?
        var version: String?
        var resolved: String?
        var integrity: [String] = []
        func close() throws {
            guard let block = current else { return }
            guard let version else { throw LockfileError(path: path, line: block.line, expected: "a version line in the block of \(block.name)") }
            var hashes = integrity
            if let resolved, let fragment = resolved.split(separator: "#").last, resolved.contains("#"), fragment.count == 40,
                isCommit(String(fragment)), !resolved.lowercased().hasPrefix("git")
            {
                hashes.append("sha1:" + fragment)
            }
            packages.append(
                LockedPackage(
                    ecosystem: "npm", name: block.name, version: version, hashes: hashes,
                    source: npmSource(resolved, hashed: !hashes.isEmpty)))
            current = nil
        }
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty || line.hasPrefix("#") { continue }
            if !line.hasPrefix(" ") {
                try close()
                guard line.hasSuffix(":"), let first = line.dropLast().split(separator: ",").first, let name = npmPackageName(first) else {
                    throw LockfileError(path: path, line: offset + 1, expected: "a block header such as \"name@^1.0.0\":")
                }
                current = (name, offset + 1)
                version = nil
                resolved = nil
                integrity = []
                continue
            }
            guard current != nil else { throw LockfileError(path: path, line: offset + 1, expected: "a block header before indented lines") }
            // Only the block's own fields (two spaces); dependency lists are indented further.
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            let field = line.dropFirst(2)
            guard let space = field.firstIndex(of: " ") else { continue }
            let value = field[field.index(after: space)...].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            switch field[..<space] {
            case "version": version = value
            case "resolved": resolved = value
            case "integrity": integrity = sri(value)
            default: break
            }
        }
        try close()
        return packages
    }

    /// Berry yarn.lock: YAML; each entry's `resolution` (`name@npm:1.2.3`, `name@workspace:.`, `name@https://…`)
    /// names the package and where it comes from, `checksum` is the cache archive's (kept for diffs, not a registry
    /// hash).
    static func yarnBerry(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        let root = try yaml(text, path: path)
        guard let entries = root.mapping else { throw LockfileError(path: path, line: 1, expected: "a YAML mapping of packages") }
        for (key, entry) in entries {
            guard let specifiers = key.string, specifiers != "__metadata" else { continue }
            let line = (key.mark?.line ?? 0)
            guard let resolution = entry["resolution"]?.string, let name = npmPackageName(Substring(resolution)),
                let version = entry["version"]?.string
            else {
                throw LockfileError(path: path, line: line, expected: "an entry with resolution: and version: for \(specifiers)")
            }
            let protocolPart = resolution.dropFirst(name.count + 1)
            var source: LockedPackage.Source?
            if protocolPart.hasPrefix("workspace:") || protocolPart.hasPrefix("portal:") || protocolPart.hasPrefix("link:") {
                source = .init(kind: .path, location: String(protocolPart), pinned: false)
            } else if protocolPart.hasPrefix("file:") {
                source = .init(kind: .path, location: String(protocolPart), pinned: entry["checksum"] != nil)
            } else if protocolPart.contains("git") || protocolPart.contains("#commit=") {
                let commit = protocolPart.components(separatedBy: "#commit=").dropFirst().first ?? ""
                source = .init(kind: .git, location: String(protocolPart), pinned: isCommit(commit))
            } else if protocolPart.hasPrefix("http") {
                source = .init(kind: .url, location: String(protocolPart), pinned: entry["checksum"] != nil)
            }
            lockfile.packages.append(
                LockedPackage(
                    ecosystem: "npm", name: name, version: version, hashes: entry["checksum"]?.string.map { ["yarn-cache:" + $0] } ?? [],
                    source: source))
        }
    }

    // MARK: pnpm

    /// pnpm-lock.yaml v6 (`/name@version` keys) and v9 (`name@version` keys, peers in `snapshots:`): one row per
    /// entry of `packages:`, its integrity as hashes; the importers' dependencies are the direct ones.
    static func pnpm(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        let root = try yaml(text, path: path)
        guard root["lockfileVersion"] != nil else { throw LockfileError(path: path, line: 1, expected: "lockfileVersion: (a pnpm lockfile)") }
        var direct: Set<String> = []
        // A workspace lists its importers; a single project (v6) has its dependencies at the top.
        for importer in (root["importers"]?.mapping ?? [:]).map(\.value) + [root] {
            for section in ["dependencies", "devDependencies", "optionalDependencies"] {
                for (name, _) in importer[section]?.mapping ?? [:] { if let name = name.string { direct.insert(name) } }
            }
        }
        for (key, entry) in root["packages"]?.mapping ?? [:] {
            guard var id = key.string else { continue }
            if id.hasPrefix("/") { id.removeFirst() }
            // Peer suffixes (`(react@18.2.0)`, v6 `_react@18.2.0`) belong to the snapshot, not the package.
            if let paren = id.firstIndex(of: "(") { id = String(id[..<paren]) }
            guard let name = npmPackageName(Substring(id)) else {
                throw LockfileError(path: path, line: (key.mark?.line ?? 0), expected: "a package key such as name@1.2.3, got \(id)")
            }
            var version = String(id.dropFirst(name.count + 1))
            if let underscore = version.firstIndex(of: "_"), !version.hasPrefix("file:") { version = String(version[..<underscore]) }
            let resolution = entry["resolution"]
            let hashes = resolution?["integrity"]?.string.map(sri) ?? []
            var source: LockedPackage.Source?
            if let tarball = resolution?["tarball"]?.string {
                source = npmSource(tarball, hashed: !hashes.isEmpty)
            } else if let repo = resolution?["repo"]?.string, let commit = resolution?["commit"]?.string {
                source = .init(kind: .git, location: repo + "#" + commit, pinned: isCommit(commit))
            } else if let directory = resolution?["directory"]?.string {
                source = .init(kind: .path, location: directory, pinned: false)
            }
            lockfile.packages.append(
                LockedPackage(
                    ecosystem: "npm", name: name, version: entry["version"]?.string ?? version, hashes: hashes, direct: direct.contains(name),
                    qualifier: entry["dev"]?.bool == true ? "dev" : nil, source: source))
        }
    }
}
