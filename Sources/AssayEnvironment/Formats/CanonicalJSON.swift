import AssayCore
import Foundation

/// RFC 8785 (JSON Canonicalization Scheme): object members sorted by UTF-16 code units, no whitespace,
/// numbers as ECMAScript writes them, minimal string escapes. The same data always gives the same bytes,
/// whatever the key order or formatting of the source.
public enum CanonicalJSON {
    public static func serialize(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// The canonical form as UTF-8 bytes, written into one growing buffer.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(value, into: &out)
        return out
    }

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .number(let n): out += number(n).utf8
        case .string(let s): string(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Compared as UTF-16 views, without copying the keys into arrays.
            let sorted = members.sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                string(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func string(_ s: String, into out: inout [UInt8]) {
        TextEscaping.appendJSONString(s, to: &out)
    }

    /// ECMAScript Number::toString: shortest round-trip digits, exponent form below 1e-6 and from 1e21.
    /// Non-finite numbers have no JSON form; they are written as `null`, as JSON.stringify does.
    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == 0 { return "0" }
        let negative = value < 0
        // Swift's description gives the shortest round-trip digits; take digits and exponent from it.
        let text = "\(abs(value))"
        var mantissa = text
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        var pointPosition = parts[0].count + exponent
        let leadingZeros = digits.prefix { $0 == "0" }.count
        digits.removeFirst(leadingZeros)
        pointPosition -= leadingZeros
        while digits.hasSuffix("0"), digits.count > 1 { digits.removeLast() }
        let k = digits.count
        let n = pointPosition
        var result: String
        if k <= n && n <= 21 {
            result = digits + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            result = String(digits.prefix(n)) + "." + String(digits.dropFirst(n))
        } else if -6 < n && n <= 0 {
            result = "0." + String(repeating: "0", count: -n) + digits
        } else {
            let e = n - 1
            let sign = e < 0 ? "-" : "+"
            result = k == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
            result += "e" + sign + String(abs(e))
        }
        return negative ? "-" + result : result
    }
}
