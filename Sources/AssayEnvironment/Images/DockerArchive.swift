import AssayCore
import Foundation

/// Reads a `docker save` archive without extracting it: entries with `..`, absolute paths, or links are
/// refused; the config digest must equal its file name and each layer's sha256 its `rootfs.diff_ids` entry.
/// Such an archive holds no registry manifest digest, and the result says so rather than inventing one.
public enum DockerArchive {
    /// Largest entry read into memory (manifest.json, config); layers are hashed while streaming.
    static let maxJSONBytes = 16 << 20

    /// The archive path a relative link at `name` points to; nil when it climbs out of the archive.
    static func resolve(_ target: String, from name: String) -> String? {
        var components = name.split(separator: "/").dropLast().map(String.init)
        for part in target.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                guard !components.isEmpty else { return nil }
                components.removeLast()
            default: components.append(String(part))
            }
        }
        return components.joined(separator: "/")
    }

    public static func verify(path: String) throws -> ImageVerification {
        var entries: [String: (offset: Int, size: Int)] = [:]
        var hashes: [String: String] = [:]
        var reader = try TarReader(path: path)
        while let entry = try reader.next() {
            let name = entry.name.hasPrefix("./") ? String(entry.name.dropFirst(2)) : entry.name
            if name.hasPrefix("/") || name.split(separator: "/").contains("..") {
                throw ImageError(reference: path, problem: "refusing entry \(entry.name) at byte \(entry.headerOffset): escapes the archive")
            }
            switch entry.type {
            case .file:
                entries[name] = (entry.dataOffset, entry.size)
                hashes[name] = try reader.sha256(of: entry)
            case .directory:
                continue
            case .link(let target):
                guard !target.hasPrefix("/"), let resolved = Self.resolve(target, from: name) else {
                    throw ImageError(reference: path, problem: "refusing link \(entry.name) → \(target) at byte \(entry.headerOffset): escapes the archive")
                }
                hashes[name] = hashes[resolved]
            }
        }
        guard entries["manifest.json"] != nil, let manifest = JSONValue.parse(try reader.read("manifest.json", entries)) else {
            throw ImageError(reference: path, problem: "no manifest.json: not a docker save archive")
        }
        guard case .array(let images) = manifest, let image = images.first, let configName = image["Config"]?.string else {
            throw ImageError(reference: path, problem: "manifest.json lists no image")
        }
        var result = ImageVerification(
            source: .dockerArchive, reference: path,
            notes: ["a docker save archive holds no registry manifest digest; the image is identified by its config digest"])
        if case .array(let tags)? = image["RepoTags"] { result.reference = path + " (" + tags.compactMap(\.string).joined(separator: ", ") + ")" }
        // The config's name is its digest: `<hex>.json` (classic) or `blobs/sha256/<hex>` (Docker 25+).
        let configHex = URL(fileURLWithPath: configName).lastPathComponent.replacingOccurrences(of: ".json", with: "")
        let configActual = hashes[configName]
        result.configDigest = "sha256:" + configHex
        result.blobs.append(
            .init(
                role: "config", digest: "sha256:" + configHex, sizeBytes: entries[configName]?.size,
                valid: configActual == configHex, problem: configActual == nil ? "config missing" : (configActual == configHex ? nil : "content hashes to sha256:\(configActual ?? "")")))
        if let config = JSONValue.parse(try reader.read(configName, entries)), case .array(let ids)? = config["rootfs"]?["diff_ids"] {
            result.diffIDs = ids.compactMap(\.string)
        }
        if case .array(let layers)? = image["Layers"] {
            for (offset, layer) in layers.compactMap(\.string).enumerated() {
                let expected = offset < result.diffIDs.count ? result.diffIDs[offset] : nil
                let actual = hashes[layer].map { "sha256:" + $0 }
                let problem: String? = actual == nil ? "layer missing" : (expected == nil ? "no diff_id for this layer" : (actual == expected ? nil : "content hashes to \(actual ?? ""), diff_id is \(expected ?? "")"))
                result.blobs.append(.init(role: "layer \(offset)", digest: expected ?? actual ?? layer, sizeBytes: entries[layer]?.size, valid: problem == nil, problem: problem))
            }
        }
        return result
    }
}

/// A minimal streaming reader of POSIX/ustar/GNU tar archives: headers, long names, and hashing entry data.
struct TarReader {
    enum EntryType: Equatable {
        case file, directory
        case link(String)
    }

    struct Entry {
        var name: String
        var size: Int
        var type: EntryType
        var headerOffset: Int
        var dataOffset: Int
    }

    let handle: FileHandle
    let path: String
    var offset = 0

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageError(reference: path, problem: "cannot open") }
        self.handle = handle
        self.path = path
    }

    mutating func next() throws -> Entry? {
        var longName: String?
        while true {
            try handle.seek(toOffset: UInt64(offset))
            guard let header = try handle.read(upToCount: 512), header.count == 512 else { return nil }
            let bytes = [UInt8](header)
            if bytes.allSatisfy({ $0 == 0 }) { return nil }
            let headerOffset = offset
            func field(_ start: Int, _ length: Int) -> String {
                let slice = bytes[start..<(start + length)]
                return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
            }
            let sizeText = field(124, 12).trimmingCharacters(in: .whitespaces)
            guard let size = Int(sizeText, radix: 8) else {
                throw ImageError(reference: path, problem: "corrupt tar header at byte \(headerOffset): size '\(sizeText)'")
            }
            let checksum = Int(field(148, 8).trimmingCharacters(in: .whitespaces.union(.controlCharacters)), radix: 8)
            let computed = bytes.enumerated().reduce(0) { $0 + (148..<156 ~= $1.offset ? 32 : Int($1.element)) }
            guard checksum == computed else { throw ImageError(reference: path, problem: "corrupt tar header at byte \(headerOffset): checksum") }
            let typeflag = bytes[156]
            let prefix = field(345, 155)
            var name = longName ?? (prefix.isEmpty ? field(0, 100) : prefix + "/" + field(0, 100))
            longName = nil
            let dataOffset = offset + 512
            offset = dataOffset + (size + 511) / 512 * 512
            switch typeflag {
            case UInt8(ascii: "L"), UInt8(ascii: "x"):
                try handle.seek(toOffset: UInt64(dataOffset))
                let data = try handle.read(upToCount: min(size, 1 << 20)) ?? Data()
                if typeflag == UInt8(ascii: "L") {
                    longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                } else if let text = String(data: data, encoding: .utf8),
                    let pathLine = text.split(separator: "\n").first(where: { $0.contains(" path=") }),
                    let range = pathLine.range(of: " path=")
                {
                    longName = String(pathLine[range.upperBound...])
                }
                continue
            case UInt8(ascii: "5"):
                if name.hasSuffix("/") { name.removeLast() }
                return Entry(name: name, size: 0, type: .directory, headerOffset: headerOffset, dataOffset: dataOffset)
            case UInt8(ascii: "1"), UInt8(ascii: "2"):
                return Entry(name: name, size: 0, type: .link(field(157, 100)), headerOffset: headerOffset, dataOffset: dataOffset)
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                return Entry(name: name, size: size, type: .file, headerOffset: headerOffset, dataOffset: dataOffset)
            default:
                throw ImageError(reference: path, problem: "refusing entry \(name) at byte \(headerOffset): type '\(Character(Unicode.Scalar(typeflag)))' (devices and fifos do not belong in an image archive)")
            }
        }
    }

    func sha256(of entry: Entry) throws -> String {
        try handle.seek(toOffset: UInt64(entry.dataOffset))
        var hasher = StreamingSHA256()
        var remaining = entry.size
        while remaining > 0 {
            guard let chunk = try handle.read(upToCount: min(remaining, 1 << 20)), !chunk.isEmpty else {
                throw ImageError(reference: path, problem: "truncated entry \(entry.name) at byte \(entry.dataOffset)")
            }
            chunk.withUnsafeBytes { hasher.update($0) }
            remaining -= chunk.count
        }
        return hasher.finalize()
    }

    func read(_ name: String, _ entries: [String: (offset: Int, size: Int)]) throws -> [UInt8] {
        guard let entry = entries[name] else { return [] }
        guard entry.size <= DockerArchive.maxJSONBytes else { throw ImageError(reference: path, problem: "\(name) is larger than 16 MiB") }
        try handle.seek(toOffset: UInt64(entry.offset))
        return [UInt8](try handle.read(upToCount: entry.size) ?? Data())
    }
}
