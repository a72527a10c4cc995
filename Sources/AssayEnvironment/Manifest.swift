import AssayCore
import Foundation
import Yams

#if canImport(Glibc)
import Glibc
#endif

/// `env_manifest.yaml`: what an environment is made of, each component with its digest, itself
/// content-addressed: `digest` is the sha256 of the RFC 8785 canonical JSON of the schema, components, runtime
/// and seed, so the same content gives the same digest on any machine at any time. When and where the snapshot
/// was taken (`created_at`, `host`) are recorded beside it, outside the digest.
public struct EnvironmentManifest: Sendable, Hashable, Codable {
    public static let schema = "assay.env_manifest.v2"
    /// v1 manifests, whose digest also covered `created_at`; still read and verified.
    public static let legacySchema = "assay.env_manifest.v1"

    public enum Kind: String, Sendable, Hashable, Codable {
        case lockfile, config, dataset, model, image, file, tree
    }

    public struct Component: Sendable, Hashable, Codable {
        /// Relative to the manifest's root.
        public var path: String
        public var kind: Kind
        /// Raw sha256 of the file, or the tree digest of a directory.
        public var sha256: String
        /// Configs: the canonical digest (key order and formatting do not count).
        public var canonicalSHA256: String?
        /// Lockfiles: the number of packages and the format.
        public var packages: Int?
        public var format: String?
        public var files: Int?

        enum CodingKeys: String, CodingKey {
            case path, kind, sha256, packages, format, files
            case canonicalSHA256 = "canonical_sha256"
        }
    }

    /// Interpreter, CUDA and driver versions where detectable, and the environment variables that change results.
    public struct Runtime: Sendable, Hashable, Codable {
        public var python: String?
        public var cuda: String?
        public var driver: String?
        public var environment: [String: String]
    }

    public var schema: String
    public var digest: String?
    /// When the snapshot was taken; not covered by `digest`.
    public var createdAt: String
    /// The host it was taken on; not covered by `digest`.
    public var host: String?
    /// The absolute path of the directory it was taken of; not covered by `digest`.
    public var root: String?
    public var seed: Int?
    public var runtime: Runtime
    public var components: [Component]

    enum CodingKeys: String, CodingKey {
        case schema, digest, host, root, seed, runtime, components
        case createdAt = "created_at"
    }

    /// What `digest` covers.
    private struct Content: Encodable {
        var schema: String
        var createdAt: String?
        var seed: Int?
        var runtime: Runtime
        var components: [Component]

        enum CodingKeys: String, CodingKey {
            case schema, seed, runtime, components
            case createdAt = "created_at"
        }
    }

    /// Environment variables that change numerical results.
    public static let resultVariables = [
        "PYTHONHASHSEED", "CUBLAS_WORKSPACE_CONFIG", "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS", "TF_DETERMINISTIC_OPS", "TF_CUDNN_DETERMINISTIC", "NVIDIA_TF32_OVERRIDE", "TOKENIZERS_PARALLELISM",
    ]

    /// The digest of the content: schema, components, runtime and seed (v1 manifests: `created_at` too), over
    /// its RFC 8785 canonical JSON.
    public func computedDigest() throws -> String {
        let value: JSONValue
        if schema == Self.legacySchema {
            let json = try JSONCoding.encoder().encode(
                Content(schema: schema, createdAt: createdAt, seed: seed, runtime: runtime, components: components))
            guard let parsed = JSONValue.parse(Array(json)) else { return "" }
            value = parsed
        } else {
            value = contentValue
        }
        return "sha256:" + FileDigest.sha256(of: CanonicalJSON.bytes(value))
    }

    /// The content as a JSON value, built directly: the same members `Codable` writes, without encoding and
    /// parsing 20,000 components to get there.
    var contentValue: JSONValue {
        var runtimeMembers: [String: JSONValue] = ["environment": .object(runtime.environment.mapValues(JSONValue.string))]
        runtimeMembers["python"] = runtime.python.map(JSONValue.string)
        runtimeMembers["cuda"] = runtime.cuda.map(JSONValue.string)
        runtimeMembers["driver"] = runtime.driver.map(JSONValue.string)
        let componentValues = components.map { component -> JSONValue in
            var members: [String: JSONValue] = [
                "path": .string(component.path), "kind": .string(component.kind.rawValue), "sha256": .string(component.sha256),
            ]
            members["canonical_sha256"] = component.canonicalSHA256.map(JSONValue.string)
            members["packages"] = component.packages.map { .number(Double($0)) }
            members["format"] = component.format.map(JSONValue.string)
            members["files"] = component.files.map { .number(Double($0)) }
            return .object(members)
        }
        var members: [String: JSONValue] = ["schema": .string(schema), "runtime": .object(runtimeMembers), "components": .array(componentValues)]
        members["seed"] = seed.map { .number(Double($0)) }
        return .object(members)
    }

    // MARK: Snapshot

    /// Digests every top-level entry of `root` (directories as trees), with the runtime and seed.
    /// Digests are reused from `cache` for files whose device, inode, size and times are unchanged. Nothing is
    /// written under `root`.
    public static func snapshot(
        root: String, seed: Int?, now: Date = Date(), skip: Set<String> = [], cache: StatCache? = nil, progress: ProgressReporter? = nil
    ) throws -> EnvironmentManifest {
        // The runtime's versions come from subprocesses (python3, nvcc, nvidia-smi): asked for while the files hash.
        let runtime = RuntimeDetection()
        let names = try TreeDigest.names(in: root).filter { !$0.hasPrefix(".") && !skip.contains($0) }
        var components: [Component] = []
        // Entries are stat'ed relative to the open directory: no path is resolved from the root again.
        let directory = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw FileDigestError.cannotOpen(path: root, errno: errno) }
        defer { close(directory) }
        for name in names {
            let path = root + "/" + name
            var status = stat()
            // An entry that cannot be stat'ed (a dangling link, one removed meanwhile) is an error, never skipped.
            guard fstatat(directory, name, &status, 0) == 0 else {
                throw TreeDigestError(path: root, problems: ["\(name): cannot stat: \(String(cString: strerror(errno)))"])
            }
            if status.st_mode & S_IFMT == S_IFDIR {
                if access(path + "/oci-layout", F_OK) == 0 {
                    let image = try OCILayout.verify(path: path)
                    components.append(Component(path: name, kind: .image, sha256: String((image.manifestDigest ?? "").dropFirst(7))))
                    continue
                }
                let lowered = name.lowercased()
                let kind: Kind = lowered.hasPrefix("data") ? .dataset
                    : (lowered.hasPrefix("model") || lowered.hasPrefix("weights") || lowered.hasPrefix("checkpoint") ? .model : .tree)
                let listing = try TreeDigest.listing(of: path, cache: cache, progress: progress)
                guard listing.problems.isEmpty else { throw TreeDigestError(path: path, problems: listing.problems) }
                components.append(Component(path: name, kind: kind, sha256: listing.digest, files: listing.entries.count))
                continue
            }
            var component = Component(path: name, kind: .file, sha256: try TreeDigest.fileSHA256(path, status: status, cache: cache))
            // Only names that can be a lockfile or a config are opened and parsed.
            let suffix = Self.fileExtension(name)
            let parseable = Self.parseableExtensions.contains(suffix)
            // A lockfile or config that cannot be read is an error naming its line, not a plain file without a word.
            if parseable, let format = EnvironmentDiff.lockfileFormat(path) {
                let lock = try LockfileParser.parse(path: path, displayPath: name, format: format)
                component.kind = .lockfile
                component.packages = lock.packages.count
                component.format = format.rawValue
            } else if parseable, ConfigDocument.format(of: path) != nil {
                let document = try ConfigDocument.read(path: path, displayPath: name)
                component.kind = .config
                component.canonicalSHA256 = document.canonicalSHA256
            } else if Self.modelExtensions.contains(suffix) {
                component.kind = .model
            }
            components.append(component)
        }
        var manifest = EnvironmentManifest(
            schema: schema, digest: nil, createdAt: now.formatted(.iso8601), host: ProcessInfo.processInfo.hostName, seed: seed,
            runtime: runtime.wait(), components: components)
        manifest.digest = try manifest.computedDigest()
        return manifest
    }

    /// Extensions of files that may be lockfiles (requirements.txt, poetry.lock, go.sum, Package.resolved …) or
    /// configs, and of model weights.
    static let parseableExtensions: Set<String> = ["txt", "in", "lock", "yml", "yaml", "json", "toml", "sum", "resolved"]
    static let modelExtensions: Set<String> = ["pt", "pth", "onnx", "safetensors", "ckpt", "pkl", "joblib", "h5", "gguf"]

    /// The lowercased text after the last dot of a file name ("" without one), read as bytes: called once per
    /// top-level file, 20,000 times for a flat tree.
    static func fileExtension(_ name: String) -> String {
        let bytes = name.utf8
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")) else { return "" }
        return String(decoding: bytes[bytes.index(after: dot)...].map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// `detectRuntime()` on another thread, started at once.
    final class RuntimeDetection: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var runtime: Runtime?

        init() {
            DispatchQueue.global().async { [self] in
                runtime = EnvironmentManifest.detectRuntime()
                done.signal()
            }
        }

        func wait() -> Runtime {
            done.wait()
            return runtime ?? Runtime(environment: [:])
        }
    }

    static func detectRuntime() -> Runtime {
        let environment = ProcessInfo.processInfo.environment
        var variables: [String: String] = [:]
        for name in resultVariables { if let value = environment[name] { variables[name] = value } }
        func firstLine(_ argv: [String]) -> String? { ProcessOutput.firstLine(argv, mergingStandardError: true) }
        let cuda = (FileManager.default.contents(atPath: "/usr/local/cuda/version.json").flatMap { JSONValue.parse(Array($0)) }?["cuda"]?["version"]?.string)
            ?? firstLine(["nvcc", "--version"]).flatMap { $0.contains("release") ? $0 : nil }
        return Runtime(
            python: firstLine(["python3", "--version"]), cuda: cuda,
            driver: firstLine(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"]), environment: variables)
    }

    // MARK: Files

    /// The manifest as YAML, written line by line with JSON-quoted scalars (valid YAML 1.2): Yams' encoder grows
    /// its node arrays by copying, which took 15 s for 20,000 components.
    public func yaml() throws -> String {
        func quoted(_ text: String) -> String { TextEscaping.jsonString(text) }
        var out = "# env_manifest.yaml, written by `assay env snapshot`; `digest` covers everything but created_at, host and root.\n"
        out += "schema: \(quoted(schema))\n"
        if let digest { out += "digest: \(quoted(digest))\n" }
        out += "created_at: \(quoted(createdAt))\n"
        if let host { out += "host: \(quoted(host))\n" }
        if let root { out += "root: \(quoted(root))\n" }
        if let seed { out += "seed: \(seed)\n" }
        out += "runtime:\n"
        for (key, value) in [("python", runtime.python), ("cuda", runtime.cuda), ("driver", runtime.driver)] {
            if let value { out += "  \(key): \(quoted(value))\n" }
        }
        if runtime.environment.isEmpty {
            out += "  environment: {}\n"
        } else {
            out += "  environment:\n"
            for (key, value) in runtime.environment.sorted(by: { $0.key < $1.key }) { out += "    \(quoted(key)): \(quoted(value))\n" }
        }
        if components.isEmpty { out += "components: []\n" } else { out += "components:\n" }
        for component in components {
            out += "  - path: \(quoted(component.path))\n    kind: \(component.kind.rawValue)\n    sha256: \(quoted(component.sha256))\n"
            if let canonical = component.canonicalSHA256 { out += "    canonical_sha256: \(quoted(canonical))\n" }
            if let packages = component.packages { out += "    packages: \(packages)\n" }
            if let format = component.format { out += "    format: \(quoted(format))\n" }
            if let files = component.files { out += "    files: \(files)\n" }
        }
        return out
    }

    public static func read(path: String) throws -> EnvironmentManifest {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw LockfileError(path: path, line: 0, expected: "a readable env_manifest.yaml")
        }
        do {
            let manifest = try YAMLDecoder().decode(EnvironmentManifest.self, from: text)
            guard manifest.schema == schema || manifest.schema == legacySchema else {
                throw LockfileError(path: path, line: 0, expected: "schema \(schema) (or \(legacySchema))")
            }
            return manifest
        } catch let error as LockfileError {
            throw error
        } catch {
            throw LockfileError(path: path, line: 0, expected: "an env_manifest.yaml (\(error))")
        }
    }

    // MARK: Verify

    /// How one component compares with what is on disk now.
    public struct ComponentStatus: Sendable, Hashable, Codable {
        public enum State: String, Sendable, Hashable, Codable {
            case valid = "Valid", modified = "Modified", missing = "Missing", unverified = "Unverified"
        }

        public var path: String
        public var state: State
        public var expected: String
        public var observed: String?
    }

    /// The directory to verify against by default: the recorded root when it still exists, else the directory
    /// holding the manifest.
    public func defaultRoot(manifestPath: String) -> String {
        var isDirectory: ObjCBool = false
        if let root, FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue { return root }
        return URL(fileURLWithPath: manifestPath).deletingLastPathComponent().path
    }

    /// Re-hashes every component under `root`; also checks the manifest's own digest.
    public func verify(root: String) throws -> (manifestIntact: Bool, components: [ComponentStatus]) {
        let intact = try digest == computedDigest()
        var statuses: [ComponentStatus] = []
        for component in components {
            let path = root + "/" + component.path
            guard FileManager.default.fileExists(atPath: path) else {
                statuses.append(.init(path: component.path, state: .missing, expected: component.sha256, observed: nil))
                continue
            }
            guard component.sha256.count == 64 else {
                statuses.append(.init(path: component.path, state: .unverified, expected: component.sha256, observed: nil))
                continue
            }
            var observed: String
            if component.kind == .image {
                observed = String((try OCILayout.verify(path: path).manifestDigest ?? "").dropFirst(7))
            } else {
                observed = try TreeDigest.sha256(ofItemAt: path)
            }
            // A config whose data is unchanged is valid even if its formatting changed.
            if observed != component.sha256, let canonical = component.canonicalSHA256,
                (try? ConfigDocument.read(path: path).canonicalSHA256) == canonical
            {
                observed = component.sha256
            }
            statuses.append(
                .init(path: component.path, state: observed == component.sha256 ? .valid : .modified, expected: component.sha256, observed: observed))
        }
        return (intact, statuses)
    }
}
