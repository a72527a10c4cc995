import AssayCore
import Foundation

/// One pinned dependency, normalized across lockfile formats.
public struct LockedPackage: Sendable, Hashable, Codable {
    /// `pypi`, `conda`, `npm`, `cargo`, `go`, `swiftpm`.
    public var ecosystem: String
    /// Name as the ecosystem normalizes it (PyPI: lowercase, runs of `-_.` → `-`).
    public var name: String
    public var version: String
    /// Artifact hashes as `algorithm:hex` (`sha256:…`, `sha512:…`, `md5:…`, `h1:…` kept as written).
    public var hashes: [String]
    /// true: a direct dependency; false: transitive; nil: the format does not say.
    public var direct: Bool?
    /// Platform or group qualifiers (conda platform, npm dev, poetry group), when the format has them.
    public var qualifier: String?
    /// Where the package comes from when it is not a registry: a local path, a link, a VCS or a URL; nil for a
    /// registry package.
    public var source: Source?
    /// The purl's namespace where the name alone does not place the package (Swift: `github.com/apple`).
    public var namespace: String?
    /// The purl's qualifiers that tell builds of one version apart (conda `subdir`, `channel`; a non-default
    /// `repository_url`).
    public var purlQualifiers: [String: String]?

    /// A dependency that does not come from a package registry.
    public struct Source: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable {
            case path, link, git, url
        }

        public var kind: Kind
        /// The path, URL or VCS reference as the lockfile writes it.
        public var location: String
        /// Whether the content is fixed: a VCS commit, or a hash of the archive. A local folder never is.
        public var pinned: Bool

        public init(kind: Kind, location: String, pinned: Bool) {
            self.kind = kind
            self.location = location
            self.pinned = pinned
        }
    }

    public init(
        ecosystem: String, name: String, version: String, hashes: [String] = [], direct: Bool? = nil, qualifier: String? = nil,
        source: Source? = nil
    ) {
        self.ecosystem = ecosystem
        self.name = name
        self.version = version
        self.hashes = hashes
        self.direct = direct
        self.qualifier = qualifier
        self.source = source
    }

    /// A version range, a local folder, or a URL or VCS reference without a commit or hash: its content can change.
    public var unpinned: Bool { isConstraint || source.map { !$0.pinned } ?? false }

    /// The version is a constraint, not a version: `*`, a range (`>=1.24,<2`, `~=2.1.0`) or a wildcard (`1.2.*`).
    public var isConstraint: Bool {
        version == "*" || version.contains("*") || version.contains(",") || version.first.map { "<>~!=".contains($0) } == true
    }

    /// `name@qualifier`: the packages two lockfiles compare version by version.
    public var key: String { qualifier.map { "\(name)@\($0)" } ?? name }

    /// What one locked package is: its key, version and source (`anstream@cargo 0.6.18`, `x 1.0 git+https://…@abc`).
    public var identity: String { key + " " + version + (source.map { " " + $0.kind.rawValue + ":" + $0.location } ?? "") }

    /// The version with where it comes from when that is not a registry: `1.2.0 (git https://…@abc)`.
    public var describedVersion: String { version + (source.map { " (\($0.kind.rawValue) \($0.location))" } ?? "") }
}

/// The lockfile formats Assay reads.
public enum LockfileFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case requirements = "requirements.txt"
    case pipfileLock = "Pipfile.lock"
    case poetryLock = "poetry.lock"
    case uvLock = "uv.lock"
    case condaEnvironment = "environment.yml"
    case condaLock = "conda-lock.yml"
    case npmPackageLock = "package-lock.json"
    case cargoLock = "Cargo.lock"
    case goSum = "go.sum"
    case swiftPackageResolved = "Package.resolved"
    case yarnLock = "yarn.lock"
    case pnpmLock = "pnpm-lock.yaml"
    case pylock = "pylock.toml"
    case pdmLock = "pdm.lock"

    /// The format of a file, from its name (and, for JSON and YAML, its content).
    public static func detect(path: String) -> LockfileFormat? {
        guard unread(path: path) == nil else { return nil }
        var name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        // `prod.Cargo.lock`, `staging.go.sum`: a prefix before a conventional name.
        for conventional in ["pipfile.lock", "poetry.lock", "uv.lock", "cargo.lock", "go.sum", "package.resolved", "yarn.lock", "pnpm-lock.yaml", "pdm.lock"]
        where name.hasSuffix("." + conventional) {
            name = conventional
        }
        if name == "yarn.lock" { return .yarnLock }
        if name == "pdm.lock" { return .pdmLock }
        if name == "pylock.toml" || name.hasPrefix("pylock.") && name.hasSuffix(".toml") { return .pylock }
        if name == "pnpm-lock.yaml" { return .pnpmLock }
        if name.hasSuffix(".txt") || name.hasSuffix(".in") && name.contains("requirements") { return .requirements }
        if name == "pipfile.lock" { return .pipfileLock }
        if name == "poetry.lock" { return .poetryLock }
        if name == "uv.lock" { return .uvLock }
        if name.hasPrefix("conda-lock") || name.hasSuffix(".conda-lock.yml") { return .condaLock }
        if name.hasSuffix(".yml") || name.hasSuffix(".yaml") { return .condaEnvironment }
        if name.hasPrefix("package-lock") || name == "npm-shrinkwrap.json" { return .npmPackageLock }
        if name == "cargo.lock" { return .cargoLock }
        if name == "go.sum" { return .goSum }
        if name == "package.resolved" { return .swiftPackageResolved }
        return nil
    }

    /// A format from `--kind`: its file name (`Cargo.lock`, `requirements.txt`) or its short name (`cargo`, `pip`).
    public init?(kind: String) {
        let lowered = kind.lowercased()
        let short: [String: LockfileFormat] = [
            "pip": .requirements, "requirements": .requirements, "pipfile": .pipfileLock, "poetry": .poetryLock, "uv": .uvLock,
            "conda": .condaEnvironment, "conda-lock": .condaLock, "npm": .npmPackageLock, "cargo": .cargoLock, "go": .goSum,
            "swiftpm": .swiftPackageResolved, "yarn": .yarnLock, "pnpm": .pnpmLock, "pylock": .pylock, "pdm": .pdmLock,
        ]
        guard let format = short[lowered] ?? LockfileFormat.allCases.first(where: { $0.rawValue.lowercased() == lowered }) else { return nil }
        self = format
    }

    /// Lockfiles of formats Assay does not read yet, by file name: the tool that writes them, so they are named
    /// when met and never read as another format (a pnpm-lock.yaml is not a conda environment).
    public static func unread(path: String) -> String? {
        let name = URL(fileURLWithPath: path).lastPathComponent.lowercased()
        let tools = [
 "bun.lock": "Bun", "bun.lockb": "Bun", "gemfile.lock": "Bundler",
            "composer.lock": "Composer", "podfile.lock": "CocoaPods", "mix.lock": "Mix", "flake.lock": "Nix", "gradle.lockfile": "Gradle",
            "packages.lock.json": "NuGet", "pubspec.lock": "Dart pub", "deno.lock": "Deno", "pixi.lock": "pixi",
        ]
        if let tool = tools[name] { return tool }
        return nil
    }
}

/// A parsed lockfile: its packages and its own digests.
public struct Lockfile: Sendable, Hashable, Codable {
    public var path: String
    public var format: LockfileFormat
    /// sha256 of the file's bytes.
    public var sha256: String
    /// The hash the format keeps of its input specification (Pipfile.lock `_meta.hash`, poetry `content-hash`,
    /// conda-lock `content_hash`, Package.resolved `originHash`), when it has one.
    public var specHash: String?
    public var packages: [LockedPackage]

    enum CodingKeys: String, CodingKey {
        case path, format, sha256, packages
        case specHash = "spec_hash"
    }
}

/// A lockfile that cannot be read, located.
public typealias LockfileError = InputError
