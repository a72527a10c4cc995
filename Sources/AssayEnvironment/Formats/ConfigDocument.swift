import AssayCore
import Foundation
import Yams

/// A configuration file (YAML, JSON or TOML) read as data, so its digest ignores key order, whitespace and
/// comments, and a diff can name the key that changed.
///
/// YAML is read with the YAML 1.2 core schema (Yams' resolver): `yes`/`no`/`on`/`off` stay strings, `0755` is
/// the integer 755 (`0o755` is octal), dates and times stay their text, anchors and aliases are expanded,
/// and duplicate keys are an error.
public struct ConfigDocument: Sendable, Hashable {
    public var value: JSONValue
    /// sha256 of the file's bytes.
    public var rawSHA256: String
    /// sha256 of the RFC 8785 canonical JSON of `value`.
    public var canonicalSHA256: String

    public enum Format: String, Sendable {
        case yaml, json, toml
    }

    public static func format(of path: String) -> Format? {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml") { return .yaml }
        if lowered.hasSuffix(".json") { return .json }
        if lowered.hasSuffix(".toml") { return .toml }
        return nil
    }

    /// Reads and canonicalizes the file at `path` (`displayPath` in errors).
    public static func read(path: String, displayPath: String? = nil) throws -> ConfigDocument {
        let name = displayPath ?? path
        guard let format = format(of: path) else {
            throw LockfileError(path: name, line: 0, expected: "a .yaml, .yml, .json or .toml file")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw LockfileError(path: name, line: 0, expected: "readable UTF-8 text")
        }
        let value: JSONValue
        switch format {
        case .json:
            guard let parsed = JSONValue.parse(Array(data)) else { throw LockfileError(path: name, line: 0, expected: "valid JSON") }
            value = parsed
        case .toml:
            do { value = try TOMLParser.parse(text) } catch let error as TOMLError {
                throw LockfileError(path: name, line: error.line, expected: "TOML (\(error.message))")
            }
        case .yaml:
            do {
                value = try Yams.compose(yaml: text).map(Self.json) ?? .null
            } catch let error as YamlError {
                throw LockfileError(path: name, line: 0, expected: "YAML (\(error))")
            }
        }
        return ConfigDocument(
            value: value, rawSHA256: FileDigest.sha256(of: data),
            canonicalSHA256: FileDigest.sha256(of: Array(CanonicalJSON.serialize(value).utf8)))
    }

    static func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            let text = scalar.string
            switch node.tag.rawValue {
            case "tag:yaml.org,2002:null": return .null
            case "tag:yaml.org,2002:bool":
                // YAML 1.2 core schema: only true/false are booleans; yes/no/on/off stay strings.
                if ["true", "True", "TRUE"].contains(text) { return .bool(true) }
                if ["false", "False", "FALSE"].contains(text) { return .bool(false) }
                return .string(text)
            case "tag:yaml.org,2002:int":
                // YAML 1.2: 0755 is decimal; only 0o755 is octal.
                if text.range(of: #"^[-+]?0[0-9]+$"#, options: .regularExpression) != nil, let decimal = Int(text) {
                    return .number(Double(decimal))
                }
                return Int.construct(from: scalar).map { .number(Double($0)) } ?? .string(text)
            case "tag:yaml.org,2002:float": return Double.construct(from: scalar).map(JSONValue.number) ?? .string(text)
            default: return .string(text)
            }
        case .sequence(let sequence): return .array(sequence.map(json))
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping { members[key.string ?? "\(key)"] = json(value) }
            return .object(members)
        case .alias: return .null
        }
    }

    /// Every leaf (scalar, empty array or empty object) by JSON pointer.
    public var leaves: [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        func walk(_ value: JSONValue, _ pointer: String) {
            switch value {
            case .object(let members) where !members.isEmpty:
                for (key, child) in members {
                    walk(child, pointer + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1"))
                }
            case .array(let items) where !items.isEmpty:
                for (index, child) in items.enumerated() { walk(child, pointer + "/\(index)") }
            default:
                out[pointer] = value
            }
        }
        walk(value, "")
        return out
    }
}
