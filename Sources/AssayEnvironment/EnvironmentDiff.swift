import AssayCore
import Foundation

/// What kind of component changed; drift is computed per category, then averaged with equal weights so that
/// 20,000 data files cannot drown three config keys.
public enum DriftCategory: String, Sendable, Hashable, Codable, CaseIterable {
    case dependencies, configs, files
}

/// One named difference between two environments.
public struct DriftItem: Sendable, Hashable, Codable {
    /// `flag`: the same package and version, now marked differently (dev, optional, a poetry group, a platform).
    public enum Change: String, Sendable, Hashable, Codable { case added, removed, changed, flag }

    public var category: DriftCategory
    /// `numpy`, `config.yaml /batch_size`, `data/part-1.csv`.
    public var component: String
    public var change: Change
    public var before: String?
    public var after: String?
    /// Matched a hard-gate pattern: fails the diff whatever the percentage.
    public var gated: Bool

    /// `numpy 1.24.3 vs 1.24.2`, `config.yaml /batch_size 8 → 16`, `data/x.csv added`.
    public var summary: String {
        switch change {
        case .added: "\(component) added (\(after ?? "?"))"
        case .removed: "\(component) removed (was \(before ?? "?"))"
        case .changed:
            category == .dependencies ? "\(component) \(before ?? "?") vs \(after ?? "?")" : "\(component) \(before ?? "?") → \(after ?? "?")"
        case .flag: "\(component) marked \(before ?? "?") → \(after ?? "?")"
        }
    }
}

/// The difference between two environments (lockfiles, configs, files or whole directory trees).
public struct DriftReport: Sendable, Hashable, Codable {
    public struct CategoryDrift: Sendable, Hashable, Codable {
        public var category: DriftCategory
        /// Components seen on either side.
        public var total: Int
        public var differing: Int
        public var percent: Double
    }

    public var items: [DriftItem]
    public var categories: [CategoryDrift]
    /// Mean of the category percentages, each category weighing the same.
    public var overallPercent: Double
    public var thresholdPercent: Double
    /// Share of components with a verifiable digest: every config key and file; packages with artifact hashes.
    public var coveragePercent: Double
    /// Components compared, and how many of them had no digest (compared by version alone).
    public var components = 0
    public var withoutDigest = 0
    /// The two manifests' content digests, when two env_manifest.yaml files were compared.
    public var manifestDigests: [String]?
    public var gatedItems: [DriftItem] { items.filter(\.gated) }
    /// Drift within the threshold and no gated component changed.
    public var passes: Bool { overallPercent <= thresholdPercent && gatedItems.isEmpty }
}

/// Compares two environments: staging against production, a snapshot against the running one.
public struct EnvironmentDiff: Sendable {
    /// Names or path globs (`numpy`, `model/*`, `config.yaml /seed`) that fail the diff whenever they change.
    public var gates: [String]
    public var thresholdPercent: Double
    /// File names left out of a directory comparison (the environments' own manifests).
    public var ignoredNames: Set<String>

    public init(gates: [String] = [], thresholdPercent: Double = 0.5, ignoredNames: Set<String> = ["env_manifest.yaml"]) {
        self.gates = gates
        self.thresholdPercent = thresholdPercent
        self.ignoredNames = ignoredNames
    }

    public func compare(_ left: String, _ right: String) throws -> DriftReport {
        var items: [DriftItem] = []
        var totals: [DriftCategory: Set<String>] = [:]
        var unhashed: Set<String> = []
        let leftIsDirectory = Self.isDirectory(left)
        guard leftIsDirectory == Self.isDirectory(right) else {
            throw LockfileError(path: right, line: 0, expected: leftIsDirectory ? "a directory, like \(left)" : "a file, like \(left)")
        }
        var digests: [String]?
        if !leftIsDirectory, SBOM.isSBOM(left) || SBOM.isSBOM(right) {
            let (a, b) = (try SBOM.read(path: left), try SBOM.read(path: right))
            comparePackages("", a.packages, b.packages, items: &items, totals: &totals, unhashed: &unhashed)
            for name in Set(a.files.keys).union(b.files.keys).sorted() {
                compareDigests(name, a.files[name], b.files[name], items: &items, totals: &totals)
            }
        } else if !leftIsDirectory, Self.isManifest(left) || Self.isManifest(right) {
            let (a, b) = (try EnvironmentManifest.read(path: left), try EnvironmentManifest.read(path: right))
            digests = [a.digest ?? "", b.digest ?? ""]
            let before = Dictionary(a.components.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            let after = Dictionary(b.components.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
            for path in Set(before.keys).union(after.keys).sorted() {
                let kind = (after[path] ?? before[path])?.kind
                let digest = { (c: EnvironmentManifest.Component?) in c.map { $0.canonicalSHA256 ?? $0.sha256 } }
                if kind == .config {
                    totals[.configs, default: []].insert(path)
                    switch (digest(before[path]), digest(after[path])) {
                    case (let x?, let y?) where x != y: add(.configs, path, .changed, "sha256:" + x.prefix(12), "sha256:" + y.prefix(12), &items)
                    case (let x?, nil): add(.configs, path, .removed, "sha256:" + x.prefix(12), nil, &items)
                    case (nil, let y?): add(.configs, path, .added, nil, "sha256:" + y.prefix(12), &items)
                    default: break
                    }
                } else {
                    compareDigests(path, before[path]?.sha256, after[path]?.sha256, items: &items, totals: &totals)
                }
            }
            for (label, x, y) in [("python", a.runtime.python, b.runtime.python), ("cuda", a.runtime.cuda, b.runtime.cuda),
                ("driver", a.runtime.driver, b.runtime.driver), ("seed", a.seed.map(String.init), b.seed.map(String.init))]
            {
                totals[.configs, default: []].insert("runtime /\(label)")
                if x != y { add(.configs, "runtime /\(label)", .changed, x ?? "none", y ?? "none", &items) }
            }
            for name in Set(a.runtime.environment.keys).union(b.runtime.environment.keys).sorted() {
                totals[.configs, default: []].insert("runtime /environment/\(name)")
                let (x, y) = (a.runtime.environment[name], b.runtime.environment[name])
                if x != y { add(.configs, "runtime /environment/\(name)", .changed, x ?? "unset", y ?? "unset", &items) }
            }
        } else if leftIsDirectory {
            let keep: (String) -> Bool = { [ignoredNames] in !ignoredNames.contains(URL(fileURLWithPath: $0).lastPathComponent) }
            let a = try Self.files(in: left).filter(keep)
            let b = try Self.files(in: right).filter(keep)
            for relative in Set(a).union(b).sorted() {
                let l = a.contains(relative) ? left + "/" + relative : nil
                let r = b.contains(relative) ? right + "/" + relative : nil
                try compareFile(relative, l, r, items: &items, totals: &totals, unhashed: &unhashed)
            }
        } else {
            try compareFile(URL(fileURLWithPath: right).lastPathComponent, left, right, items: &items, totals: &totals, unhashed: &unhashed)
        }
        let categories = DriftCategory.allCases.compactMap { category -> DriftReport.CategoryDrift? in
            let total = totals[category]?.count ?? 0
            guard total > 0 else { return nil }
            let differing = items.filter { $0.category == category }.count
            return .init(category: category, total: total, differing: differing, percent: Double(differing) / Double(total) * 100)
        }
        let overall = categories.isEmpty ? 0 : categories.map(\.percent).reduce(0, +) / Double(categories.count)
        let components = totals.values.reduce(0) { $0 + $1.count }
        let coverage = components == 0 ? 100 : Double(components - unhashed.count) / Double(components) * 100
        return DriftReport(
            items: items, categories: categories, overallPercent: overall, thresholdPercent: thresholdPercent, coveragePercent: coverage,
            components: components, withoutDigest: unhashed.count, manifestDigests: digests)
    }

    func add(_ category: DriftCategory, _ component: String, _ change: DriftItem.Change, _ before: String?, _ after: String?, _ items: inout [DriftItem]) {
        items.append(DriftItem(category: category, component: component, change: change, before: before, after: after, gated: gated(component)))
    }

    /// Packages compared by identity: name, version and source within a qualifier (conda platform, npm dev,
    /// poetry group). A name locked at several versions (Cargo.lock, go.sum, uv.lock) is compared version by version:
    /// the versions both sides share are unchanged, the others are paired in version order as changes, and what is
    /// left was added or removed. Then a package whose only difference is its qualifier is one flag change, not a
    /// removal and an addition; and a version that kept its number but not its hashes or source is a change too.
    func comparePackages(
        _ relative: String, _ a: [LockedPackage], _ b: [LockedPackage], items: inout [DriftItem], totals: inout [DriftCategory: Set<String>],
        unhashed: inout Set<String>
    ) {
        let before = Dictionary(grouping: a, by: \.key)
        let after = Dictionary(grouping: b, by: \.key)
        var removed: [LockedPackage] = []
        var added: [LockedPackage] = []
        var found: [DriftItem] = []
        for key in Set(before.keys).union(after.keys).sorted() {
            let xs = Self.unique(before[key] ?? [])
            let ys = Self.unique(after[key] ?? [])
            // Drift counts package names (within a qualifier), whatever number of versions each is locked at.
            totals[.dependencies, default: []].insert(relative + ":" + key)
            if (ys.first ?? xs.first)?.hashes.isEmpty == true { unhashed.insert(relative + ":" + key) }
            // Several versions of one name: each named by its version, so the change says which one moved.
            let label = max(xs.count, ys.count) > 1
            var left: [LockedPackage] = []
            for x in xs {
                guard let y = ys.first(where: { Self.sameRelease($0, x) }) else {
                    left.append(x)
                    continue
                }
                if Set(x.hashes) != Set(y.hashes), !x.hashes.isEmpty, !y.hashes.isEmpty {
                    found.append(
                        item(key + (label ? " " + x.version : ""), .changed, "\(x.version) (hashes \(x.hashes.first?.prefix(19) ?? ""))", "\(y.version) (other hashes)"))
                }
            }
            var right = ys.filter { y in !xs.contains { Self.sameRelease($0, y) } }
            left.sort { Self.versionOrder($0.version, $1.version) }
            right.sort { Self.versionOrder($0.version, $1.version) }
            for (x, y) in zip(left, right) {
                found.append(item(key, .changed, x.describedVersion, y.describedVersion))
            }
            removed += left.dropFirst(right.count)
            added += right.dropFirst(left.count)
        }
        // A qualifier that flipped (dev → prod, one group to another): same name, version and source.
        for x in removed {
            if let index = added.firstIndex(where: { $0.name == x.name && Self.sameRelease($0, x) }) {
                let y = added.remove(at: index)
                found.append(item(x.name + " " + x.version, .flag, x.qualifier ?? "no qualifier", y.qualifier ?? "no qualifier"))
            } else {
                found.append(item(x.key, .removed, x.describedVersion, nil))
            }
        }
        found += added.map { item($0.key, .added, nil, $0.describedVersion) }
        items += found.sorted { ($0.component, $0.change.rawValue) < ($1.component, $1.change.rawValue) }
    }

    func item(_ component: String, _ change: DriftItem.Change, _ before: String?, _ after: String?) -> DriftItem {
        DriftItem(category: .dependencies, component: component, change: change, before: before, after: after, gated: gated(component))
    }

    /// The same version from the same source (whatever the qualifier).
    static func sameRelease(_ a: LockedPackage, _ b: LockedPackage) -> Bool { a.version == b.version && a.source == b.source }

    /// Exact repeats of one identity (a lockfile listing a package twice) count once.
    static func unique(_ packages: [LockedPackage]) -> [LockedPackage] {
        var seen: Set<String> = []
        return packages.filter { seen.insert($0.identity).inserted }
    }

    /// Versions in numeric order where they are dotted numbers (`1.10` after `1.9`), else as text.
    static func versionOrder(_ a: String, _ b: String) -> Bool {
        let x = a.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        let y = b.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        return x != y ? x.lexicographicallyPrecedes(y) : a < b
    }

    /// A file component compared by its sha256.
    func compareDigests(_ relative: String, _ a: String?, _ b: String?, items: inout [DriftItem], totals: inout [DriftCategory: Set<String>]) {
        totals[.files, default: []].insert(relative)
        switch (a, b) {
        case (let x?, let y?) where x != y: add(.files, relative, .changed, "sha256:" + x.prefix(12), "sha256:" + y.prefix(12), &items)
        case (let x?, nil): add(.files, relative, .removed, "sha256:" + x.prefix(12), nil, &items)
        case (nil, let y?): add(.files, relative, .added, nil, "sha256:" + y.prefix(12), &items)
        default: break
        }
    }

    /// An env_manifest.yaml, by its schema line.
    static func isManifest(_ path: String) -> Bool {
        let lowered = path.lowercased()
        guard lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml"), let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = String(decoding: (try? handle.read(upToCount: 4096)) ?? Data(), as: UTF8.self)
        return head.contains("schema: assay.env_manifest.") || head.contains("schema: \"assay.env_manifest.")
    }

    func compareFile(
        _ relative: String, _ left: String?, _ right: String?, items: inout [DriftItem], totals: inout [DriftCategory: Set<String>],
        unhashed: inout Set<String>
    ) throws {
        func add(_ category: DriftCategory, _ component: String, _ change: DriftItem.Change, _ before: String?, _ after: String?) {
            self.add(category, component, change, before, after, &items)
        }
        let probe = left ?? right ?? relative
        if let format = Self.lockfileFormat(probe) {
            let a = try left.map { try LockfileParser.parse(path: $0, format: format).packages } ?? []
            let b = try right.map { try LockfileParser.parse(path: $0, format: format).packages } ?? []
            comparePackages(relative, a, b, items: &items, totals: &totals, unhashed: &unhashed)
            return
        }
        if ConfigDocument.format(of: probe) != nil {
            let a = try left.map { try ConfigDocument.read(path: $0, displayPath: relative).leaves } ?? [:]
            let b = try right.map { try ConfigDocument.read(path: $0, displayPath: relative).leaves } ?? [:]
            for pointer in Set(a.keys).union(b.keys).sorted() {
                let component = "\(relative) \(pointer.isEmpty ? "/" : pointer)"
                totals[.configs, default: []].insert(component)
                switch (a[pointer], b[pointer]) {
                case (let x?, let y?) where x != y: add(.configs, component, .changed, CanonicalJSON.serialize(x), CanonicalJSON.serialize(y))
                case (let x?, nil): add(.configs, component, .removed, CanonicalJSON.serialize(x), nil)
                case (nil, let y?): add(.configs, component, .added, nil, CanonicalJSON.serialize(y))
                default: break
                }
            }
            return
        }
        compareDigests(relative, try left.map { try FileDigest.sha256(ofFileAt: $0) }, try right.map { try FileDigest.sha256(ofFileAt: $0) },
            items: &items, totals: &totals)
    }

    func gated(_ component: String) -> Bool {
        gates.contains { pattern in
            component == pattern || component.hasPrefix(pattern + "@") || component.hasPrefix(pattern + " ")
                || fnmatch(pattern, component, 0) == 0
        }
    }

    /// Lockfiles by their conventional names only (a directory holds many .txt and .yaml files that are not).
    /// Only the two formats `detect` also takes by extension alone (any `.txt`, any YAML) are narrowed here.
    static func lockfileFormat(_ path: String) -> LockfileFormat? {
        let name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        switch LockfileFormat.detect(path: path) {
        case .requirements?: return name.contains("requirements") ? .requirements : nil
        case .condaEnvironment?: return name.hasPrefix("environment") || name.contains("conda-lock") ? .condaEnvironment : nil
        case let format: return format
        }
    }

    /// Whether `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    /// Regular files under `root`, relative, skipping links (never followed) and hidden `.git`-style folders.
    static func files(in root: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw LockfileError(path: root, line: 0, expected: "a readable directory")
        }
        var out: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.split(separator: "/").contains(where: { $0 == ".git" || $0 == ".assay" }) { continue }
            let attributes = walker.fileAttributes
            if attributes?[.type] as? FileAttributeType == .typeRegular { out.append(relative) }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif
