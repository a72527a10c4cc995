import AssayCore
import Foundation

/// A CycloneDX 1.5 JSON software bill of materials: the packages of lockfiles (name, version, purl, hashes, and
/// where a package does not come from a registry, its source and whether it is pinned), and an environment's
/// image, model, dataset and file components with their SHA-256. The serial number is derived from the
/// content, so the same environment gives the same serial number; only `metadata.timestamp` changes.
public enum SBOM {
    public static let specVersion = "1.5"

    /// The SBOM of a lockfile, or of an environment directory (every top-level component of its snapshot, and
    /// the packages of each lockfile among them).
    public static func document(for path: String, format: LockfileFormat? = nil, cache: StatCache? = nil, now: Date = Date()) throws -> JSONValue {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError(path: path, line: 0, expected: "a lockfile or an environment directory")
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        var builder = Builder()
        if isDirectory.boolValue {
            let manifest = try EnvironmentManifest.snapshot(root: path, seed: nil, now: now, cache: cache)
            for component in manifest.components {
                let ref = builder.addFile(component)
                if component.kind == .lockfile {
                    let lock = try LockfileParser.parse(path: path + "/" + component.path, displayPath: component.path)
                    builder.dependencies[ref] = lock.packages.map { builder.addPackage($0) }
                }
            }
            builder.rootDependsOn = builder.files
        } else {
            let lock = try LockfileParser.parse(path: path, format: format)
            builder.rootDependsOn = lock.packages.map { builder.addPackage($0) }
            builder.rootHash = lock.sha256
        }
        return builder.document(rootName: name, now: now)
    }

    /// The CycloneDX `type` of an environment component.
    static func componentType(_ kind: EnvironmentManifest.Kind) -> String {
        switch kind {
        case .image: "container"
        case .model: "machine-learning-model"
        case .dataset: "data"
        case .lockfile, .config, .file, .tree: "file"
        }
    }

    /// A package URL (purl) for a registry package; nil for local, VCS and URL sources, which have none.
    public static func purl(_ package: LockedPackage) -> String? {
        guard package.source == nil else { return nil }
        let type: String
        switch package.ecosystem {
        case "pypi", "npm", "cargo", "conda": type = package.ecosystem
        case "go": type = "golang"
        case "swiftpm": type = "swift"
        default: return nil
        }
        let name = ((package.namespace.map { [$0] } ?? []) + [package.name]).joined(separator: "/")
            .split(separator: "/").map { percentEncoded(String($0)) }.joined(separator: "/")
        let version = package.isConstraint ? "" : "@" + percentEncoded(package.version)
        // Qualifiers sorted by key, values percent-encoded, as the purl spec canonicalizes them.
        let qualifiers = (package.purlQualifiers ?? [:]).filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(percentEncoded($0.value))" }.joined(separator: "&")
        return "pkg:\(type)/\(name)\(version)" + (qualifiers.isEmpty ? "" : "?" + qualifiers)
    }

    /// purl percent-encoding: everything but unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// `sha256:hex` → CycloneDX's `{alg, content}`; hashes CycloneDX cannot name (Go's `h1:`, git revisions) are nil.
    static func hash(_ text: String) -> JSONValue? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let algorithms = ["md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"]
        let lengths = ["MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-384": 96, "SHA-512": 128]
        let content = text[text.index(after: colon)...].lowercased()
        guard let algorithm = algorithms[text[..<colon].lowercased()], content.count == lengths[algorithm],
            content.allSatisfy(\.isHexDigit)
        else { return nil }
        return .object(["alg": .string(algorithm), "content": .string(content)])
    }

    struct Builder {
        var components: [JSONValue] = []
        var refs: Set<String> = []
        var files: [String] = []
        var dependencies: [String: [String]] = [:]
        var rootDependsOn: [String] = []
        var rootHash: String?

        mutating func uniqueRef(_ base: String) -> String {
            var ref = base
            var counter = 2
            while refs.contains(ref) {
                ref = "\(base)#\(counter)"
                counter += 1
            }
            refs.insert(ref)
            return ref
        }

        mutating func addPackage(_ package: LockedPackage) -> String {
            let purl = SBOM.purl(package)
            let ref = uniqueRef(purl.map { $0 + (package.qualifier.map { "?qualifier=\(SBOM.percentEncoded($0))" } ?? "") }
                ?? "\(package.ecosystem):\(package.name)\(package.qualifier.map { "@\($0)" } ?? "")")
            var object: [String: JSONValue] = ["type": .string("library"), "bom-ref": .string(ref), "name": .string(package.name)]
            if !package.isConstraint { object["version"] = .string(package.version) }
            if let purl { object["purl"] = .string(purl) }
            let hashes = package.hashes.compactMap(SBOM.hash)
            if !hashes.isEmpty { object["hashes"] = .array(hashes) }
            if package.direct != nil { object["scope"] = .string(package.qualifier == "dev" ? "optional" : "required") }
            var properties: [JSONValue] = [property("assay:ecosystem", package.ecosystem)]
            if let qualifier = package.qualifier { properties.append(property("assay:qualifier", qualifier)) }
            if let direct = package.direct { properties.append(property("assay:direct", direct ? "true" : "false")) }
            if let source = package.source {
                properties.append(property("assay:source", source.kind.rawValue))
                properties.append(property("assay:location", source.location))
                if (source.kind == .git || source.kind == .url), source.location.contains("://") {
                    object["externalReferences"] = .array([
                        .object(["type": .string(source.kind == .git ? "vcs" : "distribution"), "url": .string(source.location)])
                    ])
                }
            }
            if package.unpinned { properties.append(property("assay:unpinned", "true")) }
            if package.isConstraint, package.version != "*" { properties.append(property("assay:version_constraint", package.version)) }
            for other in package.hashes where SBOM.hash(other) == nil { properties.append(property("assay:hash", other)) }
            object["properties"] = .array(properties)
            components.append(.object(object))
            return ref
        }

        mutating func addFile(_ component: EnvironmentManifest.Component) -> String {
            let ref = uniqueRef("file:" + component.path)
            var object: [String: JSONValue] = [
                "type": .string(SBOM.componentType(component.kind)), "bom-ref": .string(ref), "name": .string(component.path),
                "hashes": .array([.object(["alg": .string("SHA-256"), "content": .string(component.sha256)])]),
            ]
            var properties = [property("assay:kind", component.kind.rawValue)]
            if let canonical = component.canonicalSHA256 { properties.append(property("assay:canonical_sha256", canonical)) }
            if let files = component.files { properties.append(property("assay:files", String(files))) }
            object["properties"] = .array(properties)
            if component.sha256.count != 64 { object["hashes"] = nil }
            components.append(.object(object))
            files.append(ref)
            return ref
        }

        func property(_ name: String, _ value: String) -> JSONValue { .object(["name": .string(name), "value": .string(value)]) }

        func document(rootName: String, now: Date) -> JSONValue {
            let content = CanonicalJSON.serialize(.array(components))
            var digits: [UInt8] = Array(FileDigest.sha256(of: Array(content.utf8)).utf8.prefix(32))
            digits[12] = UInt8(ascii: "5")  // a name-based UUID (version 5 layout)
            digits[16] = UInt8(ascii: "8")
            let hex = String(decoding: digits, as: UTF8.self)
            let uuid = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
                .joined(separator: "-")
            var root: [String: JSONValue] = ["type": .string("application"), "bom-ref": .string("root"), "name": .string(rootName)]
            if let rootHash { root["hashes"] = .array([.object(["alg": .string("SHA-256"), "content": .string(rootHash)])]) }
            var dependencyList: [JSONValue] = [
                .object(["ref": .string("root"), "dependsOn": .array(rootDependsOn.map(JSONValue.string))])
            ]
            for (ref, packages) in dependencies.sorted(by: { $0.key < $1.key }) {
                dependencyList.append(.object(["ref": .string(ref), "dependsOn": .array(Array(Set(packages)).sorted().map(JSONValue.string))]))
            }
            return .object([
                "$schema": .string("http://cyclonedx.org/schema/bom-1.5.schema.json"),
                "bomFormat": .string("CycloneDX"),
                "specVersion": .string(SBOM.specVersion),
                "serialNumber": .string("urn:uuid:" + uuid),
                "version": .number(1),
                "metadata": .object([
                    "timestamp": .string(now.formatted(.iso8601)),
                    "tools": .object([
                        "components": .array([
                            .object(["type": .string("application"), "name": .string("assay"), "version": .string(AssayVersion.current)])
                        ])
                    ]),
                    "component": .object(root),
                ]),
                "components": .array(components),
                "dependencies": .array(dependencyList),
            ])
        }
    }

    // MARK: Reading

    /// Whether the file is a CycloneDX JSON document.
    public static func isSBOM(_ path: String) -> Bool {
        guard path.lowercased().hasSuffix(".json"), let data = FileManager.default.contents(atPath: path) else { return false }
        return JSONValue.parse(Array(data))?["bomFormat"]?.string == "CycloneDX"
    }

    /// A CycloneDX JSON document's packages (components with a purl or a library type) and its other components
    /// (name → SHA-256).
    public static func read(path: String) throws -> (packages: [LockedPackage], files: [String: String]) {
        guard let data = FileManager.default.contents(atPath: path), let root = JSONValue.parse(Array(data)) else {
            throw InputError(path: path, line: 0, expected: "a CycloneDX JSON document")
        }
        guard root["bomFormat"]?.string == "CycloneDX" else { throw InputError(path: path, line: 0, expected: "bomFormat CycloneDX") }
        guard case .array(let components)? = root["components"] ?? .array([]) else {
            throw InputError(path: path, line: 0, expected: "components to be an array")
        }
        var packages: [LockedPackage] = []
        var files: [String: String] = [:]
        for (index, component) in components.enumerated() {
            guard let name = component["name"]?.string else {
                throw InputError(path: path, line: 0, expected: "components[\(index)].name to be a string")
            }
            let hashes: [String] = (component["hashes"]?.elements ?? []).compactMap { hash in
                guard let algorithm = hash["alg"]?.string, let content = hash["content"]?.string else { return nil }
                return algorithm.lowercased().replacingOccurrences(of: "-", with: "") + ":" + content
            }
            let properties = Dictionary(
                (component["properties"]?.elements ?? []).compactMap { p in p["name"]?.string.flatMap { n in p["value"]?.string.map { (n, $0) } } },
                uniquingKeysWith: { first, _ in first })
            let type = component["type"]?.string ?? "library"
            if type == "library" || type == "framework" || component["purl"] != nil {
                let purlType = component["purl"]?.string.flatMap { $0.dropFirst(4).split(separator: "/").first.map(String.init) }
                packages.append(
                    LockedPackage(
                        ecosystem: properties["assay:ecosystem"] ?? purlType ?? "unknown", name: name,
                        version: component["version"]?.string ?? properties["assay:version_constraint"] ?? "*", hashes: hashes,
                        qualifier: properties["assay:qualifier"]))
            } else {
                files[name] = hashes.first { $0.hasPrefix("sha256:") }.map { String($0.dropFirst(7)) } ?? ""
            }
        }
        return (packages, files)
    }
}
