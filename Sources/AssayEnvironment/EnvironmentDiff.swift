import AssayCore
import Foundation

/// What kind of component changed; drift is computed per category, then averaged with equal weights so that
/// 20,000 data files cannot drown three config keys.
public enum DriftCategory: String, Sendable, Hashable, Codable, CaseIterable {
    case dependencies, configs, files
}

/// One named difference between two environments.
public struct DriftItem: Sendable, Hashable, Codable {
    public enum Change: String, Sendable, Hashable, Codable { case added, removed, changed }

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
        if leftIsDirectory {
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
            items: items, categories: categories, overallPercent: overall, thresholdPercent: thresholdPercent, coveragePercent: coverage)
    }

    func compareFile(
        _ relative: String, _ left: String?, _ right: String?, items: inout [DriftItem], totals: inout [DriftCategory: Set<String>],
        unhashed: inout Set<String>
    ) throws {
        func add(_ category: DriftCategory, _ component: String, _ change: DriftItem.Change, _ before: String?, _ after: String?) {
            items.append(
                DriftItem(category: category, component: component, change: change, before: before, after: after, gated: gated(component)))
        }
        let probe = left ?? right ?? relative
        if let format = Self.lockfileFormat(probe) {
            let a = try left.map { try LockfileParser.parse(path: $0, format: format).packages } ?? []
            let b = try right.map { try LockfileParser.parse(path: $0, format: format).packages } ?? []
            let before = Dictionary(a.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            let after = Dictionary(b.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            for key in Set(before.keys).union(after.keys).sorted() {
                totals[.dependencies, default: []].insert(relative + ":" + key)
                if (after[key] ?? before[key])?.hashes.isEmpty == true { unhashed.insert(relative + ":" + key) }
                switch (before[key], after[key]) {
                case (let x?, let y?) where x.version != y.version: add(.dependencies, key, .changed, x.version, y.version)
                case (let x?, let y?) where Set(x.hashes) != Set(y.hashes) && !x.hashes.isEmpty && !y.hashes.isEmpty:
                    add(.dependencies, key, .changed, "\(x.version) (hashes \(x.hashes.first?.prefix(19) ?? ""))", "\(y.version) (other hashes)")
                case (let x?, nil): add(.dependencies, key, .removed, x.version, nil)
                case (nil, let y?): add(.dependencies, key, .added, nil, y.version)
                default: break
                }
            }
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
        totals[.files, default: []].insert(relative)
        let a = try left.map { try FileDigest.sha256(ofFileAt: $0) }
        let b = try right.map { try FileDigest.sha256(ofFileAt: $0) }
        switch (a, b) {
        case (let x?, let y?) where x != y: add(.files, relative, .changed, "sha256:" + x.prefix(12), "sha256:" + y.prefix(12))
        case (let x?, nil): add(.files, relative, .removed, "sha256:" + x.prefix(12), nil)
        case (nil, let y?): add(.files, relative, .added, nil, "sha256:" + y.prefix(12))
        default: break
        }
    }

    func gated(_ component: String) -> Bool {
        gates.contains { pattern in
            component == pattern || component.hasPrefix(pattern + "@") || component.hasPrefix(pattern + " ")
                || fnmatch(pattern, component, 0) == 0
        }
    }

    /// Lockfiles by their conventional names only (a directory holds many .txt and .yaml files that are not).
    static func lockfileFormat(_ path: String) -> LockfileFormat? {
        let name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        if name.hasSuffix(".txt"), !name.contains("requirements") { return nil }
        if name.hasSuffix(".yml") || name.hasSuffix(".yaml"), !(name.hasPrefix("environment") || name.contains("conda-lock")) {
            return nil
        }
        if name.hasSuffix(".json"), !(name.hasPrefix("package-lock") || name == "npm-shrinkwrap.json") { return nil }
        return LockfileFormat.detect(path: path)
    }

    static func isDirectory(_ path: String) -> Bool {
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
