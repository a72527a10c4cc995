/// Escaping text for the formats Assay writes by hand.
public enum TextEscaping {
    /// Text for XML and HTML content and attribute values: `& < > " '` as entities.
    public static func xml(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A JSON string literal as RFC 8785 (and ECMAScript's JSON.stringify) writes it: `"` and `\` escaped, the
    /// short escapes for \b \f \n \r \t, other controls as lowercase `\u00xx`, everything else as is.
    public static func appendJSONString(_ text: String, to out: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        appendJSONString(text, to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// The same literal appended as UTF-8 bytes.
    public static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += #"\""#.utf8
            case UInt8(ascii: "\\"): out += #"\\"#.utf8
            case 0x08: out += #"\b"#.utf8
            case 0x0C: out += #"\f"#.utf8
            case 0x0A: out += #"\n"#.utf8
            case 0x0D: out += #"\r"#.utf8
            case 0x09: out += #"\t"#.utf8
            case 0..<0x20:
                out += #"\u00"#.utf8
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public static func jsonString(_ text: String) -> String {
        var out = ""
        appendJSONString(text, to: &out)
        return out
    }
}
