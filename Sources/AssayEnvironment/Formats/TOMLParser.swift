import AssayCore
import Foundation

/// A TOML syntax error, located.
public struct TOMLError: Error, Sendable, CustomStringConvertible, Equatable {
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A TOML 1.0 parser producing `JSONValue`s: tables become objects, arrays of tables arrays of objects,
/// integers and floats numbers, dates and times their original text. Written here because the TOML package
/// in the offline mirrors cannot be resolved (it depends on a package the mirrors do not carry).
public struct TOMLParser {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var root: [String: JSONValue] = [:]
    /// Path of the table that key/value lines currently go into; for an array of tables, its last element.
    private var current: [PathElement] = []
    private var defined: Set<String> = []

    private enum PathElement: Hashable {
        case key(String)
        case lastElement(String)
    }

    public static func parse(_ text: String) throws -> JSONValue {
        var parser = TOMLParser(bytes: Array(text.utf8))
        return try parser.document()
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func error(_ message: String) -> TOMLError {
        TOMLError(line: line, column: index - lineStart + 1, message: message)
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        index += 1
    }

    private mutating func skipSpaces() {
        while let c = peek, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { advance() }
    }

    private mutating func skipComment() {
        if peek == UInt8(ascii: "#") {
            while let c = peek, c != UInt8(ascii: "\n") { advance() }
        }
    }

    /// Spaces, comments and newlines (inside arrays).
    private mutating func skipBlank() {
        while let c = peek {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                advance()
            } else if c == UInt8(ascii: "#") {
                skipComment()
            } else {
                return
            }
        }
    }

    private mutating func endOfLine() throws {
        skipSpaces()
        skipComment()
        if peek == UInt8(ascii: "\r") { advance() }
        guard peek == nil || peek == UInt8(ascii: "\n") else { throw error("expected the end of the line") }
        if peek != nil { advance() }
    }

    private mutating func document() throws -> JSONValue {
        while peek != nil {
            skipBlank()
            guard let c = peek else { break }
            if c == UInt8(ascii: "[") {
                advance()
                let isArray = peek == UInt8(ascii: "[")
                if isArray { advance() }
                skipSpaces()
                let path = try key()
                skipSpaces()
                guard peek == UInt8(ascii: "]") else { throw error("expected ]") }
                advance()
                if isArray {
                    guard peek == UInt8(ascii: "]") else { throw error("expected ]]") }
                    advance()
                }
                try endOfLine()
                try openTable(path, array: isArray)
            } else {
                let path = try key()
                skipSpaces()
                guard peek == UInt8(ascii: "=") else { throw error("expected = after the key") }
                advance()
                skipSpaces()
                let value = try self.value()
                try insert(value, at: path, base: current)
                try endOfLine()
            }
        }
        return .object(root)
    }

    // MARK: Tables

    private mutating func openTable(_ path: [String], array: Bool) throws {
        guard let last = path.last else { throw error("a table name") }
        let name = path.joined(separator: ".")
        var elements: [PathElement] = path.dropLast().map { .key($0) }
        if array {
            try modify(elements, create: true) { table in
                var list: [JSONValue]
                switch table[last] {
                case nil: list = []
                case .array(let items)?: list = items
                default: throw TOMLError(line: 0, column: 0, message: "\(name) is not an array of tables")
                }
                list.append(.object([:]))
                table[last] = .array(list)
            }
            elements.append(.lastElement(last))
        } else {
            guard defined.insert(concreteName(path)).inserted else { throw error("table [\(name)] defined twice") }
            elements.append(.key(last))
            try modify(elements, create: true) { _ in }
        }
        current = elements
    }

    /// The table's name with the index of every array of tables on the way, so `[a.b]` under two elements
    /// of `[[a]]` are two tables.
    private func concreteName(_ path: [String]) -> String {
        var table: [String: JSONValue]? = root
        var parts: [String] = []
        for key in path {
            switch table?[key] {
            case .array(let items)?:
                parts.append("\(key)#\(items.count)")
                if case .object(let last)? = items.last { table = last } else { table = nil }
            case .object(let child)?:
                parts.append(key)
                table = child
            default:
                parts.append(key)
                table = nil
            }
        }
        return parts.joined(separator: ".")
    }

    private mutating func insert(_ value: JSONValue, at path: [String], base: [PathElement]) throws {
        let parents = base + path.dropLast().map { .key($0) }
        guard let last = path.last else { throw error("a key") }
        let location = error("")
        try modify(parents, create: true) { table in
            guard table[last] == nil else {
                throw TOMLError(line: location.line, column: location.column, message: "key \(path.joined(separator: ".")) defined twice")
            }
            table[last] = value
        }
    }

    /// Applies `change` to the table at `path`, creating intermediate tables.
    private mutating func modify(
        _ path: [PathElement], create: Bool, _ change: (inout [String: JSONValue]) throws -> Void
    ) throws {
        func descend(_ table: inout [String: JSONValue], _ rest: ArraySlice<PathElement>) throws {
            guard let first = rest.first else {
                try change(&table)
                return
            }
            switch first {
            case .key(let name):
                var child: [String: JSONValue]
                switch table[name] {
                case nil: child = [:]
                case .object(let existing)?: child = existing
                case .array(var items)? where !items.isEmpty:
                    // A dotted path through an array of tables goes into its last element.
                    guard case .object(var last) = items[items.count - 1] else { throw TOMLError(line: 0, column: 0, message: "\(name) is not a table") }
                    try descend(&last, rest.dropFirst())
                    items[items.count - 1] = .object(last)
                    table[name] = .array(items)
                    return
                default: throw TOMLError(line: 0, column: 0, message: "\(name) is not a table")
                }
                try descend(&child, rest.dropFirst())
                table[name] = .object(child)
            case .lastElement(let name):
                guard case .array(var items)? = table[name], case .object(var last)? = items.last else {
                    throw TOMLError(line: 0, column: 0, message: "\(name) is not an array of tables")
                }
                try descend(&last, rest.dropFirst())
                items[items.count - 1] = .object(last)
                table[name] = .array(items)
            }
        }
        do {
            try descend(&root, path[...])
        } catch let problem as TOMLError where problem.line == 0 {
            throw error(problem.message)
        }
    }

    // MARK: Keys

    private mutating func key() throws -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let c = peek else { throw error("expected a key") }
            if c == UInt8(ascii: "\"") {
                parts.append(try basicString())
            } else if c == UInt8(ascii: "'") {
                parts.append(try literalString())
            } else {
                let start = index
                while let c = peek, isBareKey(c) { advance() }
                guard index > start else { throw error("expected a key") }
                parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            skipSpaces()
            guard peek == UInt8(ascii: ".") else { return parts }
            advance()
        }
    }

    private func isBareKey(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == UInt8(ascii: "_")
            || c == UInt8(ascii: "-")
    }

    // MARK: Values

    private mutating func value() throws -> JSONValue {
        guard let c = peek else { throw error("expected a value") }
        switch c {
        case UInt8(ascii: "\""): return .string(try basicString())
        case UInt8(ascii: "'"): return .string(try literalString())
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "{"): return try inlineTable()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let word = scalarText()
            if word == "true" { return .bool(true) }
            if word == "false" { return .bool(false) }
            throw error("expected true or false, found \(word)")
        default:
            let text = scalarText()
            guard !text.isEmpty else { throw error("expected a value") }
            return try number(text)
        }
    }

    /// Text of a number, date or keyword, up to a delimiter.
    private mutating func scalarText() -> String {
        let start = index
        while let c = peek, c != UInt8(ascii: ","), c != UInt8(ascii: "]"), c != UInt8(ascii: "}"), c != UInt8(ascii: "\n"),
            c != UInt8(ascii: "#"), c != UInt8(ascii: "\r")
        {
            // A date-time may contain one space between date and time.
            if c == UInt8(ascii: " ") {
                let next = index + 1 < bytes.count ? bytes[index + 1] : 0
                let soFar = bytes[start..<index]
                if !(soFar.count == 10 && soFar.contains(UInt8(ascii: "-")) && next >= 0x30 && next <= 0x39) { break }
            }
            advance()
        }
        return String(decoding: bytes[start..<index], as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    private func number(_ text: String) throws -> JSONValue {
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        switch cleaned {
        case "inf", "+inf": return .number(.infinity)
        case "-inf": return .number(-.infinity)
        case "nan", "+nan", "-nan": return .number(.nan)
        default: break
        }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where cleaned.hasPrefix(prefix) {
            guard let value = Int(cleaned.dropFirst(2), radix: radix) else { throw error("invalid integer \(text)") }
            return .number(Double(value))
        }
        if let value = Double(cleaned), cleaned.first.map({ $0.isNumber || $0 == "-" || $0 == "+" }) == true,
            !cleaned.contains(":")
        {
            let digits = cleaned.drop { $0 == "-" || $0 == "+" }
            if digits.count > 1, digits.hasPrefix("0"), digits.dropFirst().first?.isNumber == true {
                // A leading zero: a date such as 2024-01-01 without time, or an invalid integer.
                if cleaned.contains("-") { return .string(text) }
                throw error("leading zeros are not allowed: \(text)")
            }
            return .number(value)
        }
        // Offset date-time, local date-time, local date, local time.
        if text.range(of: #"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?$|^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"#,
            options: .regularExpression) != nil
        {
            return .string(text)
        }
        throw error("invalid value \(text)")
    }

    private mutating func array() throws -> JSONValue {
        advance()
        var items: [JSONValue] = []
        while true {
            skipBlank()
            guard let c = peek else { throw error("unterminated array") }
            if c == UInt8(ascii: "]") {
                advance()
                return .array(items)
            }
            items.append(try value())
            skipBlank()
            if peek == UInt8(ascii: ",") {
                advance()
            } else if peek != UInt8(ascii: "]") {
                throw error("expected , or ] in array")
            }
        }
    }

    private mutating func inlineTable() throws -> JSONValue {
        advance()
        var nested = TOMLParser(bytes: [])
        var first = true
        while true {
            skipSpaces()
            if peek == UInt8(ascii: "}") {
                advance()
                return .object(nested.root)
            }
            if !first {
                guard peek == UInt8(ascii: ",") else { throw error("expected , or } in inline table") }
                advance()
                skipSpaces()
            }
            first = false
            let path = try key()
            skipSpaces()
            guard peek == UInt8(ascii: "=") else { throw error("expected = in inline table") }
            advance()
            skipSpaces()
            let value = try self.value()
            do {
                try nested.insert(value, at: path, base: [])
            } catch let problem as TOMLError {
                throw error(problem.message)
            }
        }
    }

    // MARK: Strings

    private mutating func basicString() throws -> String {
        if bytes[index...].starts(with: Array(#"""""#.utf8)) { return try multiline(quote: UInt8(ascii: "\""), escapes: true) }
        advance()
        var out: [UInt8] = []
        while true {
            guard let c = peek, c != UInt8(ascii: "\n") else { throw error("unterminated string") }
            advance()
            if c == UInt8(ascii: "\"") { break }
            if c == UInt8(ascii: "\\") { out += try escape() } else { out.append(c) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func literalString() throws -> String {
        if bytes[index...].starts(with: Array("'''".utf8)) { return try multiline(quote: UInt8(ascii: "'"), escapes: false) }
        advance()
        let start = index
        while let c = peek, c != UInt8(ascii: "'") {
            guard c != UInt8(ascii: "\n") else { throw error("unterminated literal string") }
            advance()
        }
        guard peek != nil else { throw error("unterminated literal string") }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        advance()
        return text
    }

    private mutating func multiline(quote: UInt8, escapes: Bool) throws -> String {
        index += 3
        if peek == UInt8(ascii: "\r") { advance() }
        if peek == UInt8(ascii: "\n") { advance() }
        var out: [UInt8] = []
        while true {
            guard let c = peek else { throw error("unterminated multi-line string") }
            if c == quote, index + 2 < bytes.count || index + 2 == bytes.count,
                bytes[index...].starts(with: [quote, quote, quote])
            {
                index += 3
                // Up to two more quotes belong to the content.
                while peek == quote, out.count < Int.max {
                    out.append(quote)
                    advance()
                }
                return String(decoding: out, as: UTF8.self)
            }
            advance()
            if escapes, c == UInt8(ascii: "\\") {
                // A line-ending backslash trims the newline and following whitespace.
                var probe = index
                while probe < bytes.count, bytes[probe] == UInt8(ascii: " ") || bytes[probe] == UInt8(ascii: "\t") { probe += 1 }
                if probe < bytes.count, bytes[probe] == UInt8(ascii: "\n") || bytes[probe] == UInt8(ascii: "\r") {
                    while let d = peek, d == UInt8(ascii: " ") || d == UInt8(ascii: "\t") || d == UInt8(ascii: "\n") || d == UInt8(ascii: "\r") {
                        advance()
                    }
                    continue
                }
                out += try escape()
            } else {
                out.append(c)
            }
        }
    }

    private mutating func escape() throws -> [UInt8] {
        guard let c = peek else { throw error("unterminated escape") }
        advance()
        switch c {
        case UInt8(ascii: "n"): return [0x0a]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "r"): return [0x0d]
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "f"): return [0x0c]
        case UInt8(ascii: "e"): return [0x1b]
        case UInt8(ascii: "\""): return [0x22]
        case UInt8(ascii: "\\"): return [0x5c]
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = c == UInt8(ascii: "u") ? 4 : 8
            guard index + count <= bytes.count, let scalarValue = UInt32(String(decoding: bytes[index..<(index + count)], as: UTF8.self), radix: 16),
                let scalar = Unicode.Scalar(scalarValue)
            else { throw error("invalid unicode escape") }
            index += count
            return Array(String(Character(scalar)).utf8)
        default:
            throw error("invalid escape \\\(Character(Unicode.Scalar(c)))")
        }
    }
}

extension TOMLError: AssayError {
    public var exitCode: Int32 { ExitStatus.invalidInput }
}
