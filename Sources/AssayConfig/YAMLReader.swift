import Yams

/// Reads one YAML mapping key by key, with type checks, and reports keys nobody asked for.
/// Every error names the file, the line and the dotted key.
final class YAMLReader {
    let file: String
    let keyPath: String
    private let node: Node
    private let entries: [(key: String, keyNode: Node, value: Node)]
    private var seen: Set<String> = []

    init(_ node: Node, keyPath: String, file: String) throws {
        self.node = node
        self.keyPath = keyPath
        self.file = file
        guard let mapping = node.mapping else {
            throw ConfigError(
                file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, key: keyPath,
                message: "expected a mapping of keys to values, found \(YAMLReader.describe(node))")
        }
        var entries: [(String, Node, Node)] = []
        var names: Set<String> = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                throw ConfigError(
                    file: file, line: key.mark?.line ?? 0, column: key.mark?.column ?? 0, key: keyPath,
                    message: "keys must be plain strings")
            }
            guard names.insert(name).inserted else {
                throw ConfigError(
                    file: file, line: key.mark?.line ?? 0, column: key.mark?.column ?? 0,
                    key: YAMLReader.join(keyPath, name), message: "duplicate key")
            }
            entries.append((name, key, value))
        }
        self.entries = entries
    }

    static func join(_ prefix: String, _ key: String) -> String {
        prefix.isEmpty ? key : prefix + "." + key
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): scalar.string.isEmpty ? "an empty value" : "'\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    func error(_ node: Node?, key: String, _ message: String) -> ConfigError {
        let mark = (node ?? self.node).mark
        return ConfigError(
            file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, key: YAMLReader.join(keyPath, key),
            message: message)
    }

    /// The raw node for `key`, marking it as read. A YAML `null` counts as absent.
    func node(_ key: String) -> Node? {
        seen.insert(key)
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        if case .scalar(let scalar) = entry.value, scalar.style == .plain,
            ["", "~", "null", "Null", "NULL"].contains(scalar.string)
        {
            return nil
        }
        return entry.value
    }

    /// Names of all keys present, in file order.
    var keys: [String] { entries.map(\.key) }

    func string(_ key: String) throws -> String? {
        guard let value = node(key) else { return nil }
        guard let scalar = value.scalar else { throw error(value, key: key, "expected a string, found \(YAMLReader.describe(value))") }
        return scalar.string
    }

    func double(_ key: String) throws -> Double? {
        guard let value = node(key) else { return nil }
        guard let scalar = value.scalar, scalar.style == .plain, let number = Double.construct(from: scalar),
            number.isFinite
        else { throw error(value, key: key, "expected a number, found \(YAMLReader.describe(value))") }
        return number
    }

    func int(_ key: String) throws -> Int? {
        guard let value = node(key) else { return nil }
        guard let scalar = value.scalar, scalar.style == .plain, let number = Int.construct(from: scalar) else {
            throw error(value, key: key, "expected an integer, found \(YAMLReader.describe(value))")
        }
        return number
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = node(key) else { return nil }
        guard let scalar = value.scalar, scalar.style == .plain, let flag = Bool.construct(from: scalar) else {
            throw error(value, key: key, "expected true or false, found \(YAMLReader.describe(value))")
        }
        return flag
    }

    func strings(_ key: String) throws -> [String]? {
        try list(key).map { items in
            try items.enumerated().map { index, item in
                guard let scalar = item.scalar else {
                    throw error(item, key: "\(key)[\(index)]", "expected a string, found \(YAMLReader.describe(item))")
                }
                return scalar.string
            }
        }
    }

    func doubles(_ key: String) throws -> [Double]? {
        try list(key).map { items in
            try items.enumerated().map { index, item in
                guard let scalar = item.scalar, scalar.style == .plain, let number = Double.construct(from: scalar),
                    number.isFinite
                else {
                    throw error(item, key: "\(key)[\(index)]", "expected a number, found \(YAMLReader.describe(item))")
                }
                return number
            }
        }
    }

    func list(_ key: String) throws -> [Node]? {
        guard let value = node(key) else { return nil }
        guard let sequence = value.sequence else {
            throw error(value, key: key, "expected a list, found \(YAMLReader.describe(value))")
        }
        return Array(sequence)
    }

    func mapping(_ key: String) throws -> YAMLReader? {
        guard let value = node(key) else { return nil }
        return try YAMLReader(value, keyPath: YAMLReader.join(keyPath, key), file: file)
    }

    /// Readers for each mapping in the list at `key`.
    func mappings(_ key: String) throws -> [YAMLReader] {
        try (list(key) ?? []).enumerated().map { index, item in
            try YAMLReader(item, keyPath: YAMLReader.join(keyPath, "\(key)[\(index)]"), file: file)
        }
    }

    /// A string-to-string mapping at `key`.
    func stringMap(_ key: String) throws -> [String: String]? {
        guard let reader = try mapping(key) else { return nil }
        var result: [String: String] = [:]
        for name in reader.keys { result[name] = try reader.string(name) ?? "" }
        return result
    }

    /// Fails on the first key that was never read: a typo or an option this version does not know.
    func finish() throws {
        for entry in entries where !seen.contains(entry.key) {
            let known = seen.sorted().joined(separator: ", ")
            throw error(entry.keyNode, key: entry.key, "unknown key (known here: \(known))")
        }
    }
}
