import AssayCore
import Foundation
import Yams

/// Reads every supported lockfile format into normalized rows.
public enum LockfileParser {
    /// Parses the file at `path` (shown as `displayPath`), detecting the format from its name unless given.
    public static func parse(path: String, displayPath: String? = nil, format: LockfileFormat? = nil) throws -> Lockfile {
        let name = displayPath ?? path
        let formats = LockfileFormat.allCases.map(\.rawValue).joined(separator: ", ")
        guard let format = format ?? LockfileFormat.detect(path: path) else {
            if let tool = LockfileFormat.unread(path: path) {
                throw LockfileError(path: name, line: 0, expected: "a lockfile format Assay reads (\(formats)); \(tool) lockfiles are not read yet")
            }
            throw LockfileError(path: name, line: 0, expected: "a known lockfile name (\(formats)), or --kind FORMAT")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LockfileError(path: name, line: 0, expected: "a readable file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw LockfileError(path: name, line: 0, expected: "UTF-8 text") }
        var lockfile = Lockfile(path: name, format: format, sha256: FileDigest.sha256(of: data), specHash: nil, packages: [])
        guard let read = readers[format] else { throw LockfileError(path: name, line: 0, expected: "a reader for \(format.rawValue)") }
        try read(text, name, &lockfile)
        lockfile.packages.sort { ($0.key, $0.version) < ($1.key, $1.version) }
        return lockfile
    }

    /// A format's reader: the text, the path errors name, and the lockfile to fill.
    public typealias Reader = @Sendable (_ text: String, _ path: String, _ lockfile: inout Lockfile) throws -> Void

    /// Every format's reader. A new format is a file of its own (an extension of LockfileParser), its case in
    /// `LockfileFormat` with the names `detect` knows it by, and one line here.
    public static let readers: [LockfileFormat: Reader] = [
        .requirements: { text, path, lockfile in lockfile.packages = try requirements(text, path: path) },
        .pipfileLock: { text, path, lockfile in try pipfile(text, path: path, into: &lockfile) },
        .poetryLock: { text, path, lockfile in try poetry(text, path: path, into: &lockfile) },
        .uvLock: { text, path, lockfile in try uv(text, path: path, into: &lockfile) },
        .condaEnvironment: { text, path, lockfile in lockfile.packages = try condaEnvironment(text, path: path) },
        .condaLock: { text, path, lockfile in try condaLock(text, path: path, into: &lockfile) },
        .npmPackageLock: { text, path, lockfile in try npm(text, path: path, into: &lockfile) },
        .cargoLock: { text, path, lockfile in lockfile.packages = try cargo(text, path: path) },
        .goSum: { text, path, lockfile in lockfile.packages = try goSum(text, path: path) },
        .swiftPackageResolved: { text, path, lockfile in try packageResolved(text, path: path, into: &lockfile) },
        .yarnLock: { text, path, lockfile in try yarn(text, path: path, into: &lockfile) },
        .pnpmLock: { text, path, lockfile in try pnpm(text, path: path, into: &lockfile) },
        .pylock: { text, path, lockfile in try pylock(text, path: path, into: &lockfile) },
        .pdmLock: { text, path, lockfile in try pdm(text, path: path, into: &lockfile) },
    ]

    /// PEP 503 normalization: lowercase, runs of `-`, `_`, `.` become one `-`.
    public static func normalizePyPI(_ name: String) -> String {
        var out = ""
        var lastWasSeparator = false
        for c in name.lowercased() {
            if c == "-" || c == "_" || c == "." {
                if !lastWasSeparator { out.append("-") }
                lastWasSeparator = true
            } else {
                out.append(c)
                lastWasSeparator = false
            }
        }
        return out
    }

    // MARK: pip

    /// requirements.txt (pip-compile or hand-written): `\` continuations, comments, options, `--hash`,
    /// environment markers; pip-compile's `# via` comments tell direct (`-r …`, `(pyproject.toml)`) from transitive.
    static func requirements(_ text: String, path: String) throws -> [LockedPackage] {
        var packages: [LockedPackage] = []
        var logical = ""
        var logicalStart = 0
        var viaOpen = false
        var lines = text.components(separatedBy: "\n")
        lines.append("")
        for (offset, raw) in lines.enumerated() {
            let lineNumber = offset + 1
            let trimmedRaw = raw.trimmingCharacters(in: .whitespaces)
            if trimmedRaw.hasPrefix("#"), !packages.isEmpty, logical.isEmpty {
                let comment = trimmedRaw.dropFirst().trimmingCharacters(in: .whitespaces)
                // pip-compile writes `# via x` on one line, or `# via` then one `#   x` line per reason.
                if comment == "via" {
                    viaOpen = true
                    continue
                }
                if comment.hasPrefix("via") || viaOpen || packages[packages.count - 1].direct == false {
                    let via = comment.hasPrefix("via") ? String(comment.dropFirst(3)) : comment
                    if via.contains("-r ") || via.contains("(pyproject.toml)") || via.contains("(setup.py)") || via.contains("(setup.cfg)") {
                        packages[packages.count - 1].direct = true
                    } else if packages[packages.count - 1].direct == nil, !via.trimmingCharacters(in: .whitespaces).isEmpty {
                        packages[packages.count - 1].direct = false
                    }
                }
                continue
            }
            viaOpen = false
            var content = raw
            if let hash = content.range(of: " #") ?? (content.hasPrefix("#") ? content.range(of: "#") : nil) {
                content = String(content[..<hash.lowerBound])
            }
            if logical.isEmpty { logicalStart = lineNumber }
            let continued = content.trimmingCharacters(in: .whitespaces).hasSuffix("\\")
            logical += " " + (continued ? String(content.trimmingCharacters(in: .whitespaces).dropLast()) : content)
            if continued { continue }
            defer { logical = "" }
            let statement = logical.trimmingCharacters(in: .whitespaces)
            if statement.isEmpty { continue }
            let tokens = statement.split(separator: " ").map(String.init)
            if statement.hasPrefix("-") {
                // Options (-r, -c, --index-url …) name no package; an editable requirement does.
                guard tokens[0] == "-e" || tokens[0] == "--editable" || tokens[0].hasPrefix("--editable=") else { continue }
                let target = tokens[0].hasPrefix("--editable=") ? String(tokens[0].dropFirst("--editable=".count)) : tokens.dropFirst().first
                guard let target, !target.isEmpty else {
                    throw LockfileError(path: path, line: logicalStart, expected: "a path or VCS URL after \(tokens[0])")
                }
                packages.append(try directReference(name: nil, target, hashes: [], path: path, line: logicalStart))
                continue
            }
            let hashes = tokens.filter { $0.hasPrefix("--hash=") }.map { String($0.dropFirst("--hash=".count)) }
            let requirement = tokens.prefix { !$0.hasPrefix("--") }.joined(separator: " ")
            let spec = requirement.split(separator: ";", maxSplits: 1).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            if let at = spec.range(of: " @ ") ?? spec.range(of: "@ ") {
                // PEP 508 direct reference: name @ URL.
                var name = String(spec[..<at.lowerBound]).trimmingCharacters(in: .whitespaces)
                if let bracket = name.firstIndex(of: "[") { name = String(name[..<bracket]) }
                let url = String(spec[at.upperBound...]).trimmingCharacters(in: .whitespaces)
                packages.append(try directReference(name: name, url, hashes: hashes, path: path, line: logicalStart))
                continue
            }
            if spec.contains("://") || spec.hasPrefix("./") || spec.hasPrefix("../") || spec.hasPrefix("/") {
                packages.append(try directReference(name: nil, spec, hashes: hashes, path: path, line: logicalStart))
                continue
            }
            // PEP 508: a name, optional [extras], then version specifiers or nothing. Anything else (prose in a
            // .txt file, `torch=2.1.0`) is refused rather than read as a package.
            guard let (name, specifiers) = pep508(spec) else {
                throw LockfileError(
                    path: path, line: logicalStart,
                    expected: "a requirement such as name==1.2.3 or name>=1.2 (PEP 508), got '\(spec.prefix(60))'")
            }
            let pins = specifiers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if pins.count == 1, let pin = pins.first, pin.hasPrefix("==") || pin.hasPrefix("==="), !pin.hasSuffix("*") {
                let version = pin.drop { $0 == "=" }.trimmingCharacters(in: .whitespaces)
                packages.append(LockedPackage(ecosystem: "pypi", name: normalizePyPI(name), version: version, hashes: hashes))
            } else {
                // A range or a bare name: no version to lock to; the range is kept as written.
                packages.append(
                    LockedPackage(ecosystem: "pypi", name: normalizePyPI(name), version: specifiers.isEmpty ? "*" : specifiers, hashes: hashes))
            }
        }
        return packages
    }

    /// A PEP 508 requirement's name and its version specifiers (`>=1.2,<2`, empty when there are none), without
    /// extras and markers; nil when `spec` is not one.
    static func pep508(_ spec: String) -> (name: String, specifiers: String)? {
        let text = spec.trimmingCharacters(in: .whitespaces)
        guard let nameEnd = text.range(of: #"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?"#, options: .regularExpression)?.upperBound else { return nil }
        let name = String(text[..<nameEnd])
        var rest = text[nameEnd...].trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"),
                rest[rest.index(after: rest.startIndex)..<close].allSatisfy({ $0.isLetter || $0.isNumber || " ,._-".contains($0) })
            else { return nil }
            rest = rest[rest.index(after: close)...].trimmingCharacters(in: .whitespaces)
        }
        if rest.hasPrefix("("), rest.hasSuffix(")") { rest = String(rest.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces) }
        guard !rest.isEmpty else { return (name, "") }
        let clauses = rest.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let clause = #"^(~=|===|==|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+$"#
        guard clauses.allSatisfy({ $0.range(of: clause, options: .regularExpression) != nil }) else { return nil }
        return (name, clauses.map { $0.replacingOccurrences(of: " ", with: "") }.joined(separator: ","))
    }

    /// A requirement that names a path, VCS URL or archive URL instead of a version (`-e ./pkg`,
    /// `-e git+https://…@<commit>#egg=name`, `name @ file:///…`, `name @ https://…/x.whl#sha256=…`). The name comes
    /// from the requirement, else `#egg=`, else the archive's or folder's name; a VCS commit is its version.
    static func directReference(name given: String?, _ target: String, hashes: [String], path: String, line: Int) throws -> LockedPackage {
        var location = target
        var fragment = ""
        if let hash = target.firstIndex(of: "#") {
            location = String(target[..<hash])
            fragment = String(target[target.index(after: hash)...])
        }
        let fragments = Dictionary(
            fragment.split(separator: "&").compactMap { pair -> (String, String)? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }, uniquingKeysWith: { first, _ in first })
        let lowered = location.lowercased()
        let vcs = ["git+", "hg+", "svn+", "bzr+"].contains { lowered.hasPrefix($0) }
        var commit: String?
        if vcs, let at = location.range(of: "@", options: .backwards), !location[at.upperBound...].contains("/") {
            commit = String(location[at.upperBound...])
        }
        let archiveHashes = hashes + ["sha256", "sha512", "md5"].compactMap { algorithm in fragments[algorithm].map { "\(algorithm):\($0)" } }
        let kind: LockedPackage.Source.Kind
        let pinned: Bool
        if vcs {
            kind = .git
            pinned = commit.map(isCommit) ?? false
        } else if lowered.hasPrefix("file:") || !location.contains("://") {
            kind = .path
            pinned = !archiveHashes.isEmpty && !lowered.hasSuffix("/")
        } else {
            kind = .url
            pinned = !archiveHashes.isEmpty
        }
        let tail = location.split(separator: "/").last.map(String.init) ?? ""
        // `-e .`: the project itself, named by its path (there is no name to normalize).
        if given == nil, kind == .path, tail.isEmpty || tail == "." || tail == ".." {
            return LockedPackage(
                ecosystem: "pypi", name: location, version: "*", hashes: archiveHashes, source: .init(kind: kind, location: location, pinned: false))
        }
        let inferred = fragments["egg"] ?? (tail.hasSuffix(".whl") || tail.hasSuffix(".tar.gz") || tail.hasSuffix(".zip")
            ? tail.split(separator: "-").first.map(String.init) : (vcs ? nil : tail))
        guard let name = (given?.isEmpty == false ? given : inferred), !name.isEmpty else {
            throw LockfileError(path: path, line: line, expected: "a package name for \(target) (name @ URL, or #egg=name)")
        }
        return LockedPackage(
            ecosystem: "pypi", name: normalizePyPI(name), version: commit ?? "*", hashes: archiveHashes,
            source: .init(kind: kind, location: location, pinned: pinned))
    }

    static func json(_ text: String, path: String) throws -> JSONValue {
        let bytes = Array(text.utf8)
        guard let value = JSONValue.parse(bytes) else {
            // The strict reader says where it stopped: the line of that byte, and the byte.
            guard let offset = bytes.withUnsafeBufferPointer(JSONReader.failureOffset) else {
                throw LockfileError(path: path, line: 0, expected: "valid JSON")
            }
            let line = bytes[..<offset].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            throw LockfileError(path: path, line: line, expected: "valid JSON (stopped at byte \(offset))")
        }
        return value
    }

    static func pipfile(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        let root = try json(text, path: path)
        lockfile.specHash = root["_meta"]?["hash"]?["sha256"]?.string.map { "sha256:" + $0 }
        for section in ["default", "develop"] {
            guard case .object(let packages)? = root[section] else { continue }
            for (name, entry) in packages {
                var version = entry["version"]?.string ?? "*"
                if version.hasPrefix("==") { version = String(version.dropFirst(2)) }
                let hashes: [String] = if case .array(let items)? = entry["hashes"] { items.compactMap(\.string) } else { [] }
                lockfile.packages.append(
                    LockedPackage(
                        ecosystem: "pypi", name: normalizePyPI(name), version: version, hashes: hashes,
                        qualifier: section == "develop" ? "develop" : nil))
            }
        }
    }

    // MARK: TOML lockfiles

    static func toml(_ text: String, path: String) throws -> JSONValue {
        do { return try TOMLParser.parse(text) } catch let error as TOMLError {
            throw LockfileError(path: path, line: error.line, expected: "TOML (\(error.message))")
        }
    }

    static func packageArray(_ root: JSONValue) -> [JSONValue] {
        if case .array(let items)? = root["package"] { return items }
        return []
    }

    /// poetry.lock: the new layout keeps `files` per package; the old one (lock-version 1.x) in `[metadata.files]`.
    static func poetry(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        let root = try toml(text, path: path)
        lockfile.specHash = root["metadata"]?["content-hash"]?.string.map { "sha256:" + $0 }
        let oldFiles = root["metadata"]?["files"]
        for package in packageArray(root) {
            guard let name = package["name"]?.string, let version = package["version"]?.string else {
                throw LockfileError(path: path, line: 0, expected: "name and version in every [[package]]")
            }
            let files: [JSONValue] = if case .array(let items)? = package["files"] ?? oldFiles?[name] { items } else { [] }
            let groups: [String] = if case .array(let g)? = package["groups"] { g.compactMap(\.string) } else { [] }
            let category = package["category"]?.string
            let qualifier = groups.isEmpty ? (category == "dev" ? "dev" : nil) : (groups == ["main"] ? nil : groups.joined(separator: ","))
            let hashes = files.compactMap { $0["hash"]?.string }
            // [package.source]: git (pinned by resolved_reference), directory, file or url; none for PyPI.
            var source: LockedPackage.Source?
            if let declared = package["source"], let url = declared["url"]?.string {
                switch declared["type"]?.string {
                case "git":
                    source = gitSource(url, commit: declared["resolved_reference"]?.string ?? declared["reference"]?.string)
                case "directory": source = .init(kind: .path, location: url, pinned: false)
                case "file": source = .init(kind: .path, location: url, pinned: !hashes.isEmpty)
                case "url": source = .init(kind: .url, location: url, pinned: !hashes.isEmpty)
                default: break  // legacy: a private index, still a registry
                }
            }
            lockfile.packages.append(
                LockedPackage(ecosystem: "pypi", name: normalizePyPI(name), version: version, hashes: hashes, qualifier: qualifier, source: source))
        }
    }

    /// uv.lock: the workspace's own package (`source = { editable | virtual }`) names the direct dependencies.
    static func uv(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        let root = try toml(text, path: path)
        let packages = packageArray(root)
        var direct: Set<String> = []
        var local: Set<String> = []
        for package in packages where package["source"]?["editable"] != nil || package["source"]?["virtual"] != nil {
            if let name = package["name"]?.string { local.insert(normalizePyPI(name)) }
            for key in ["dependencies", "dev-dependencies"] {
                if case .array(let items)? = package[key] { direct.formUnion(items.compactMap { $0["name"]?.string.map(normalizePyPI) }) }
                if case .object(let groups)? = package[key] {
                    for case .array(let items) in groups.values { direct.formUnion(items.compactMap { $0["name"]?.string.map(normalizePyPI) }) }
                }
            }
        }
        for (index, package) in packages.enumerated() {
            let declared = package["source"]
            // Workspace members (editable, virtual, a directory) may have no version: uv writes none for dynamic ones.
            let localPath = declared?["editable"]?.string ?? declared?["virtual"]?.string ?? declared?["directory"]?.string ?? declared?["path"]?.string
            guard let rawName = package["name"]?.string, let version = package["version"]?.string ?? (localPath == nil ? nil : "*") else {
                throw LockfileError(path: path, line: 0, expected: "name and version in [[package]] entry \(index + 1)")
            }
            let name = normalizePyPI(rawName)
            var hashes = package["sdist"]?["hash"]?.string.map { [$0] } ?? []
            if case .array(let wheels)? = package["wheels"] { hashes += wheels.compactMap { $0["hash"]?.string } }
            var source: LockedPackage.Source?
            if let localPath {
                source = .init(kind: .path, location: localPath, pinned: false)
            } else if let git = declared?["git"]?.string {
                // `https://github.com/o/r?rev=main#<commit>`: the fragment is the commit uv resolved.
                source = gitSource(location: git, fragmentOf: git)
            } else if let url = declared?["url"]?.string {
                source = .init(kind: .url, location: url, pinned: !hashes.isEmpty)
            }
            var row = LockedPackage(
                ecosystem: "pypi", name: name, version: version, hashes: hashes, direct: local.isEmpty || local.contains(name) ? nil : direct.contains(name),
                source: source)
            row.purlQualifiers = pypiIndex(declared?["registry"]?.string)
            lockfile.packages.append(row)
        }
    }

    static func cargo(_ text: String, path: String) throws -> [LockedPackage] {
        try packageArray(try toml(text, path: path)).map { package in
            guard let name = package["name"]?.string, let version = package["version"]?.string else {
                throw LockfileError(path: path, line: 0, expected: "name and version in every [[package]]")
            }
            // `git+https://github.com/o/r?rev=x#<commit>`: pinned by the commit; `registry+…` is crates.io or a mirror.
            var source: LockedPackage.Source?
            if let declared = package["source"]?.string, declared.hasPrefix("git+") {
                source = gitSource(location: String(declared.dropFirst(4)), fragmentOf: declared)
            }
            return LockedPackage(
                ecosystem: "cargo", name: name, version: version, hashes: package["checksum"]?.string.map { ["sha256:" + $0] } ?? [], source: source)
        }
    }

    /// The purl qualifier of a package from an index other than PyPI's (`repository_url`), so two builds of one
    /// version from different indexes do not share a purl; nil for PyPI itself.
    static func pypiIndex(_ index: String?) -> [String: String]? {
        guard let index, !index.isEmpty else { return nil }
        let trimmed = index.hasSuffix("/") ? String(index.dropLast()) : index
        return ["https://pypi.org/simple", "https://pypi.python.org/simple"].contains(trimmed) ? nil : ["repository_url": trimmed]
    }

    /// A full Git commit id (40 hex digits, or 64 for SHA-256 repositories).
    static func isCommit(_ text: String) -> Bool { (text.count == 40 || text.count == 64) && text.allSatisfy(\.isHexDigit) }

    /// A Git checkout of `repository` at `commit`, located as `repository@commit` (poetry, PDM, pylock.toml): pinned
    /// when the commit is a full commit id.
    static func gitSource(_ repository: String, commit: String?) -> LockedPackage.Source {
        .init(kind: .git, location: repository + (commit.map { "@" + $0 } ?? ""), pinned: commit.map(isCommit) ?? false)
    }

    /// A Git URL whose fragment is the resolved commit (`…?rev=main#<commit>`, as uv and Cargo write it), located as
    /// `location`: pinned when that fragment is a full commit id.
    static func gitSource(location: String, fragmentOf url: String) -> LockedPackage.Source {
        let commit = url.split(separator: "#").dropFirst().first.map(String.init)
        return .init(kind: .git, location: location, pinned: commit.map(isCommit) ?? false)
    }

    // MARK: conda

    static func yaml(_ text: String, path: String) throws -> Node {
        do {
            guard let node = try Yams.compose(yaml: text) else { throw LockfileError(path: path, line: 0, expected: "a YAML document") }
            return node
        } catch let error as YamlError {
            throw LockfileError(path: path, line: 0, expected: "YAML (\(error))")
        }
    }

    /// A conda MatchSpec's name and version: `[channel::]name[ version[ build]]`, `name=version[=build]`,
    /// `name==version`, `name>=1.0`, `name~=2.1.0 *cuda12*`. A range keeps its operator; nil when `spec` has no name.
    static func condaSpec(_ spec: String) -> (name: String, version: String)? {
        var text = spec.trimmingCharacters(in: .whitespaces)
        if let channel = text.range(of: "::") { text = String(text[channel.upperBound...]) }
        guard let nameEnd = text.range(of: #"^[A-Za-z0-9_][A-Za-z0-9._-]*"#, options: .regularExpression)?.upperBound else { return nil }
        let name = text[..<nameEnd].lowercased()
        let rest = text[nameEnd...].trimmingCharacters(in: .whitespaces)
        guard let first = rest.split(separator: " ").first.map(String.init) else { return (name, "*") }
        if first.hasPrefix("==") { return (name, String(first.dropFirst(2)).split(separator: "=").first.map(String.init) ?? "*") }
        if first.hasPrefix("=") { return (name, String(first.dropFirst()).split(separator: "=").first.map(String.init) ?? "*") }
        if let operatorPrefix = ["~=", ">=", "<=", "!=", ">", "<"].first(where: { first.hasPrefix($0) }) {
            return first.count > operatorPrefix.count ? (name, first) : nil
        }
        return first.first?.isNumber == true || first == "*" ? (name, first) : nil
    }

    /// environment.yml: `name=version[=build]` conda specs and a `pip:` list; no hashes (not a lockfile proper).
    static func condaEnvironment(_ text: String, path: String) throws -> [LockedPackage] {
        let root = try yaml(text, path: path)
        guard let dependencies = root["dependencies"]?.sequence else {
            throw LockfileError(path: path, line: 0, expected: "a dependencies: list")
        }
        var packages: [LockedPackage] = []
        for item in dependencies {
            if let spec = item.scalar?.string {
                guard let (name, version) = condaSpec(spec) else {
                    throw LockfileError(
                        path: path, line: (item.mark?.line ?? 0), expected: "a conda spec such as numpy=1.24.3 or numpy>=1.24, got '\(spec.prefix(60))'")
                }
                packages.append(LockedPackage(ecosystem: "conda", name: name, version: version, direct: true))
            } else if let pip = item["pip"]?.sequence {
                for entry in pip {
                    guard let spec = entry.scalar?.string else {
                        throw LockfileError(path: path, line: (entry.mark?.line ?? 0), expected: "a pip requirement string in the pip: list")
                    }
                    do {
                        packages += try requirements(spec, path: path).map { var p = $0; p.direct = true; return p }
                    } catch let error as LockfileError {
                        throw LockfileError(path: path, line: entry.mark?.line ?? 0, expected: error.expected)
                    }
                }
            } else {
                throw LockfileError(path: path, line: item.mark?.line ?? 0, expected: "a conda spec string or a pip: list")
            }
        }
        return packages
    }

    /// conda-lock.yml (v1): one entry per package and platform, with md5 and sha256.
    static func condaLock(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        let root = try yaml(text, path: path)
        if let hashes = root["metadata"]?["content_hash"]?.mapping {
            lockfile.specHash = hashes.sorted { ($0.key.string ?? "") < ($1.key.string ?? "") }
                .compactMap { pair in pair.value.string.map { "\(pair.key.string ?? ""):\($0)" } }.joined(separator: ",")
        }
        guard let packages = root["package"]?.sequence else {
            throw LockfileError(path: path, line: 0, expected: "a package: list (conda-lock v1)")
        }
        for package in packages {
            guard let name = package["name"]?.string, let version = package["version"]?.string else {
                throw LockfileError(path: path, line: package.mark?.line ?? 0, expected: "name and version")
            }
            var hashes: [String] = []
            if let sha = package["hash"]?["sha256"]?.string { hashes.append("sha256:" + sha) }
            if let md5 = package["hash"]?["md5"]?.string { hashes.append("md5:" + md5) }
            let manager = package["manager"]?.string ?? "conda"
            var row = LockedPackage(
                ecosystem: manager == "pip" ? "pypi" : "conda", name: manager == "pip" ? normalizePyPI(name) : name,
                version: version, hashes: hashes, qualifier: package["platform"]?.string)
            if manager != "pip", let url = package["url"]?.string.flatMap(URL.init(string:)) {
                // …/conda-forge/linux-64/numpy-1.26.4-py311h64a7726_0.conda: channel, subdir, then the build in the file name.
                let parts = url.pathComponents.filter { $0 != "/" }
                var qualifiers = ["subdir": parts.count >= 2 ? parts[parts.count - 2] : (package["platform"]?.string ?? "")]
                if parts.count >= 3 { qualifiers["channel"] = parts[parts.count - 3] }
                let file = url.lastPathComponent.replacingOccurrences(of: ".tar.bz2", with: "").replacingOccurrences(of: ".conda", with: "")
                if file.hasPrefix(name + "-" + version + "-") { qualifiers["build"] = String(file.dropFirst(name.count + version.count + 2)) }
                row.purlQualifiers = qualifiers
            }
            lockfile.packages.append(row)
        }
    }

    // MARK: npm

    /// package-lock.json v1 (`dependencies` tree), v2 and v3 (`packages` map). SRI integrity becomes
    /// `sha512:hex` (or `sha1:hex` in old locks).
    static func npm(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        let root = try json(text, path: path)
        if case .object(let packages)? = root["packages"] {
            let top = packages[""]
            var direct: Set<String> = []
            for key in ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"] {
                if case .object(let names)? = top?[key] { direct.formUnion(names.keys) }
            }
            for (location, entry) in packages where !location.isEmpty {
                // Keys outside node_modules are the folders that links point to; each is counted through its link.
                guard let range = location.range(of: "node_modules/", options: .backwards) else { continue }
                let name = entry["name"]?.string ?? String(location[range.upperBound...])
                // A linked local folder (file: dependency, workspace): its version is on the folder's own entry,
                // and a folder whose package.json has none is recorded as unversioned, not dropped.
                let linked = entry["link"] == .bool(true) ? entry["resolved"]?.string : nil
                let version = entry["version"]?.string ?? linked.flatMap({ packages[$0]?["version"]?.string }) ?? "*"
                let nested = location.components(separatedBy: "node_modules/").count > 2
                // npm's flags: a nested copy keeps them beside its location, so a flag that flips stays visible.
                let flag = npmFlag(entry)
                let qualifier = linked.map { "local:\($0)" } ?? npmQualifier(place: nested ? location : nil, flag: flag)
                let hashes = entry["integrity"]?.string.map(sri) ?? []
                let source: LockedPackage.Source? = linked.map { .init(kind: .link, location: $0, pinned: false) }
                    ?? npmSource(entry["resolved"]?.string ?? entry["version"]?.string, hashed: !hashes.isEmpty)
                lockfile.packages.append(
                    LockedPackage(
                        ecosystem: "npm", name: name, version: version, hashes: hashes,
                        direct: !nested && direct.contains(name), qualifier: qualifier, source: source))
            }
        } else if case .object(let dependencies)? = root["dependencies"] {
            func walk(_ deps: [String: JSONValue], parents: [String]) {
                for (name, entry) in deps {
                    let hashes = entry["integrity"]?.string.map(sri) ?? []
                    // v1 writes a local or VCS dependency's location as its version.
                    let written = entry["version"]?.string
                    let source = npmSource(entry["resolved"]?.string ?? written, hashed: !hashes.isEmpty)
                    lockfile.packages.append(
                        LockedPackage(
                            ecosystem: "npm", name: name, version: written.flatMap { $0.contains(":") ? nil : $0 } ?? "*", hashes: hashes, direct: parents.isEmpty ? nil : false,
                            qualifier: npmQualifier(place: parents.isEmpty ? nil : parents.joined(separator: ">"), flag: npmFlag(entry)),
                            source: source))
                    if case .object(let nested)? = entry["dependencies"] { walk(nested, parents: parents + [name]) }
                }
            }
            walk(dependencies, parents: [])
        } else {
            throw LockfileError(path: path, line: 0, expected: "a packages or dependencies object (package-lock v1–v3)")
        }
    }

    /// What npm marks an entry as: `dev`, `optional`, `devOptional` (optional in dev only), `peer`; nil for none.
    static func npmFlag(_ entry: JSONValue) -> String? {
        let flags = ["dev", "optional", "devOptional", "peer"].filter { entry[$0] == .bool(true) }
        // `dev` and `optional` together is what npm v7+ calls devOptional.
        if flags.contains("dev") && flags.contains("optional") { return "devOptional" }
        return flags.first
    }

    /// A nested copy's qualifier is its place (`node_modules/a/node_modules/b`, v1's `a>b`) with its flag beside it,
    /// so a flag that flips stays visible; a top-level package's is its flag alone.
    static func npmQualifier(place: String?, flag: String?) -> String? {
        guard let place else { return flag }
        return place + (flag.map { " (\($0))" } ?? "")
    }

    /// The source of an npm package from its `resolved` (or v1 `version`) text: nil for a registry tarball.
    static func npmSource(_ resolved: String?, hashed: Bool) -> LockedPackage.Source? {
        guard let resolved else { return nil }
        let lowered = resolved.lowercased()
        if lowered.hasPrefix("git") || lowered.hasPrefix("github:") {
            let commit = resolved.split(separator: "#").last.map(String.init) ?? ""
            return .init(kind: .git, location: resolved, pinned: resolved.contains("#") && isCommit(commit))
        }
        if lowered.hasPrefix("file:") || lowered.hasPrefix("link:") { return .init(kind: .path, location: resolved, pinned: hashed && !lowered.hasPrefix("link:")) }
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
            // Registry tarballs live under …/name/-/name-version.tgz.
            return resolved.contains("/-/") ? nil : .init(kind: .url, location: resolved, pinned: hashed)
        }
        return nil
    }

    /// `sha512-<base64>` → `sha512:<hex>`; several space-separated hashes become several.
    static func sri(_ integrity: String) -> [String] {
        integrity.split(separator: " ").compactMap { token in
            guard let dash = token.firstIndex(of: "-"), let data = Data(base64Encoded: String(token[token.index(after: dash)...])) else {
                return nil
            }
            return "\(token[..<dash]):" + FileDigest.hex(data)
        }
    }

    // MARK: Go and Swift

    /// go.sum: `module version h1:hash`; `/go.mod` lines add the go.mod hash to the same module version.
    static func goSum(_ text: String, path: String) throws -> [LockedPackage] {
        var byKey: [String: LockedPackage] = [:]
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: " ")
            if fields.isEmpty { continue }
            guard fields.count == 3, fields[1].hasPrefix("v"), fields[1].dropFirst().first?.isNumber == true,
                fields[2].range(of: #"^[a-z0-9]+:[A-Za-z0-9+/]+=*$"#, options: .regularExpression) != nil
            else {
                throw LockfileError(path: path, line: offset + 1, expected: "module version hash, e.g. golang.org/x/text v0.3.6 h1:…=")
            }
            var version = String(fields[1])
            let isModFile = version.hasSuffix("/go.mod")
            if isModFile { version = String(version.dropLast("/go.mod".count)) }
            let key = "\(fields[0])@\(version)"
            var package = byKey[key] ?? LockedPackage(ecosystem: "go", name: String(fields[0]), version: version)
            package.hashes.append((isModFile ? "go.mod:" : "") + String(fields[2]))
            byKey[key] = package
        }
        return byKey.values.sorted { ($0.name, $0.version) < ($1.name, $1.version) }
    }

    /// Package.resolved v1 (`object.pins`), v2 and v3 (`pins`, `originHash`).
    static func packageResolved(_ text: String, path: String, into lockfile: inout Lockfile) throws {
        let root = try json(text, path: path)
        lockfile.specHash = root["originHash"]?.string
        let pins: [JSONValue]
        if case .array(let v2)? = root["pins"] {
            pins = v2
        } else if case .array(let v1)? = root["object"]?["pins"] {
            pins = v1
        } else {
            throw LockfileError(path: path, line: 0, expected: "pins (Package.resolved v1–v3)")
        }
        for pin in pins {
            let name = pin["identity"]?.string ?? pin["package"]?.string?.lowercased() ?? "?"
            let state = pin["state"]
            let version = state?["version"]?.string ?? state?["branch"]?.string ?? "?"
            var row = LockedPackage(ecosystem: "swiftpm", name: name, version: version, hashes: state?["revision"]?.string.map { ["git:" + $0] } ?? [])
            // The purl's namespace is the repository's host and owner, the name SwiftPM's identity:
            // pkg:swift/github.com/apple/swift-nio@2.65.0.
            if let location = (pin["location"] ?? pin["repositoryURL"])?.string, let url = URL(string: location), let host = url.host {
                let owner = url.pathComponents.filter { $0 != "/" }.dropLast().joined(separator: "/")
                row.namespace = owner.isEmpty ? host : host + "/" + owner
            }
            lockfile.packages.append(row)
        }
    }
}
