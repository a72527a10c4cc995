import AssayCore
import Foundation

/// Verifies an OCI image layout directory: `oci-layout`, `index.json` → (index →) manifest → config and
/// layers, each blob's sha256 equal to its name and its size to the descriptor's.
public enum OCILayout {
    public static func verify(path: String, tag: String? = nil) throws -> ImageVerification {
        let layout = try read(path + "/oci-layout", path: path)
        guard layout["imageLayoutVersion"]?.string != nil else {
            throw ImageError(reference: path, problem: "oci-layout has no imageLayoutVersion")
        }
        let index = try read(path + "/index.json", path: path)
        guard case .array(let manifests)? = index["manifests"], !manifests.isEmpty else {
            throw ImageError(reference: path, problem: "index.json lists no manifests")
        }
        let chosen = tag.flatMap { name in
            manifests.first { $0["annotations"]?["org.opencontainers.image.ref.name"]?.string == name }
        } ?? manifests[0]
        if let tag, chosen["annotations"]?["org.opencontainers.image.ref.name"]?.string != tag {
            throw ImageError(reference: path, problem: "no manifest tagged \(tag) in index.json")
        }
        var result = ImageVerification(source: .ociLayout, reference: tag.map { "\(path):\($0)" } ?? path)
        try follow(chosen, role: "manifest", layout: path, into: &result, depth: 0)
        result.manifestDigest = chosen["digest"]?.string
        return result
    }

    static func read(_ file: String, path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ImageError(reference: path, problem: "missing \(URL(fileURLWithPath: file).lastPathComponent)")
        }
        guard let value = JSONValue.parse(Array(data)) else {
            throw ImageError(reference: path, problem: "\(URL(fileURLWithPath: file).lastPathComponent) is not JSON")
        }
        return value
    }

    /// Checks a descriptor's blob, then what it points to.
    static func follow(_ descriptor: JSONValue, role: String, layout: String, into result: inout ImageVerification, depth: Int) throws {
        guard depth < 4, let digest = descriptor["digest"]?.string else { return }
        let size = descriptor["size"]?.number.map { Int($0) }
        let (blob, bytes) = checkBlob(digest: digest, size: size, role: role, directory: layout)
        result.blobs.append(blob)
        guard blob.valid, let bytes, let mediaType = descriptor["mediaType"]?.string else { return }
        guard mediaType.contains("manifest") || mediaType.contains("index") || mediaType.contains("config") else { return }
        guard let document = JSONValue.parse(bytes) else { return }
        if case .array(let nested)? = document["manifests"] {
            // An index: check the platform manifests it lists (the first is followed for config and layers).
            for (offset, manifest) in nested.enumerated() {
                if offset == 0 {
                    try follow(manifest, role: "manifest (\(platform(manifest)))", layout: layout, into: &result, depth: depth + 1)
                } else if let d = manifest["digest"]?.string {
                    result.blobs.append(checkBlob(digest: d, size: manifest["size"]?.number.map { Int($0) }, role: "manifest (\(platform(manifest)))", directory: layout).0)
                }
            }
            return
        }
        if let config = document["config"] {
            try follow(config, role: "config", layout: layout, into: &result, depth: depth + 1)
            result.configDigest = config["digest"]?.string
        }
        if case .array(let layers)? = document["layers"] {
            for (offset, layer) in layers.enumerated() {
                guard let d = layer["digest"]?.string else { continue }
                result.blobs.append(checkBlob(digest: d, size: layer["size"]?.number.map { Int($0) }, role: "layer \(offset)", directory: layout).0)
            }
        }
        if case .array(let ids)? = document["rootfs"]?["diff_ids"] { result.diffIDs = ids.compactMap(\.string) }
    }

    static func platform(_ descriptor: JSONValue) -> String {
        [descriptor["platform"]?["os"]?.string, descriptor["platform"]?["architecture"]?.string].compactMap { $0 }.joined(separator: "/")
    }

    /// Hashes `blobs/<algorithm>/<hex>`; returns its bytes when it is small enough to be JSON.
    static func checkBlob(digest: String, size: Int?, role: String, directory: String) -> (ImageVerification.Blob, [UInt8]?) {
        let parts = digest.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, parts[0] == "sha256", parts[1].count == 64, parts[1].allSatisfy(\.isHexDigit) else {
            return (.init(role: role, digest: digest, sizeBytes: size, valid: false, problem: "unsupported digest \(digest)"), nil)
        }
        let file = "\(directory)/blobs/sha256/\(parts[1])"
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
            attributes[.type] as? FileAttributeType == .typeRegular
        else {
            return (.init(role: role, digest: digest, sizeBytes: size, valid: false, problem: "blob missing"), nil)
        }
        let actualSize = (attributes[.size] as? NSNumber)?.intValue
        guard let actual = try? FileDigest.sha256(ofFileAt: file) else {
            return (.init(role: role, digest: digest, sizeBytes: size, valid: false, problem: "blob unreadable"), nil)
        }
        if actual != parts[1] {
            return (.init(role: role, digest: digest, sizeBytes: actualSize, valid: false, problem: "content hashes to sha256:\(actual)"), nil)
        }
        if let size, let actualSize, size != actualSize {
            return (.init(role: role, digest: digest, sizeBytes: actualSize, valid: false, problem: "size \(actualSize), descriptor says \(size)"), nil)
        }
        let bytes = (actualSize ?? 0) <= 4 << 20 ? FileManager.default.contents(atPath: file).map(Array.init) : nil
        return (.init(role: role, digest: digest, sizeBytes: actualSize, valid: true, problem: nil), bytes)
    }
}
