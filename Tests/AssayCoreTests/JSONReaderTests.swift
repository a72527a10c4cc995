import AssayCore
import Foundation
import Testing

@Suite struct JSONReaderTests {
    static func read(_ text: String) -> JSONValue? {
        var text = text
        return text.withUTF8 { JSONReader.value($0) }
    }

    static func read(_ bytes: [UInt8]) -> JSONValue? {
        bytes.withUnsafeBufferPointer { JSONReader.value($0) }
    }

    static func decoded(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// Valid documents read as Foundation's JSONDecoder reads them.
    @Test func validDocumentsMatchJSONDecoder() throws {
        let documents = [
            #"{"request_id":"req-0001","started_at":"2026-11-29T03:39:41Z","preprocess_ms":0.0171,"total_ms":0.0985}"#,
            #" { "a" : [ 1 , -0 , 0.5 , -2.5E+3 , 1e-7 , 12345678901234567890 ] , "b" : { } , "c" : [ ] } "#,
            #"{"esc":"q\" b\\ s\/ \b\f\n\r\t é \u00e9 \u20AC \uD83D\uDE00 😀","t":true,"f":false,"n":null}"#,
            #"[[[[["deep"]]]],{"x":{"y":{"z":[0.1,0.2,0.30000000000000004]}}}]"#,
            "\"just a string\"", "3.14", "true", "null", "\t[\n1\r]\n",
        ]
        for document in documents {
            let value = try #require(Self.read(document), "\(document)")
            #expect(value == Self.decoded(Array(document.utf8)), "\(document)")
        }
    }

    /// Invalid documents give nil, as JSONDecoder refuses them; a trailing comma too, which JSONDecoder accepts.
    @Test func invalidDocumentsAreRefused() {
        for document in ["[1,]", "{\"a\":1,}"] {
            #expect(Self.read(document) == nil, "\(document)")
        }
        let documents = [
            "", " ", "{", "}", "{\"a\" 1}", "{a:1}", "'a'", "01", "1.", ".5", "-", "+1", "1e", "1e+",
            "tru", "nul", "True", "[1 2]", "{\"a\":1}{}", "\"unterminated", "\"tab\there\"", "\"bad \\x escape\"",
            "\"\\u12\"", "\"\\uD83D alone\"", "\"\\uDE00\"", "1e400", "-1e400", "[\"a\"]]",
            String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
        ]
        for document in documents {
            #expect(Self.read(document) == nil, "\(document)")
            #expect(Self.decoded(Array(document.utf8)) == nil, "JSONDecoder accepts \(document)")
        }
        #expect(Self.read([0x22, 0xFF, 0xFE, 0x22]) == nil)  // a string that is not UTF-8
        #expect(Self.read([0x22, 0xC3, 0x22]) == nil)  // a cut multi-byte sequence
    }

    /// Seeded random documents, written by JSONEncoder, read back alike by both.
    @Test func randomDocumentsMatchJSONDecoder() throws {
        var rng = SplitMix64(seed: 41)
        func random(_ depth: Int) -> JSONValue {
            switch rng.index(below: depth > 3 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(rng.index(below: 2) == 1)
            case 2: return .number((rng.nextUnit() - 0.5) * pow(10, Double(rng.index(below: 30)) - 10))
            case 3: return .number(Double(rng.index(below: 1_000_000)))
            case 4: return .string(String((0..<rng.index(below: 12)).map { _ in "aZ0 \"\\/\n\té€😀\u{1}".randomElement(using: &rng)! }))
            case 5: return .array((0..<rng.index(below: 5)).map { _ in random(depth + 1) })
            default: return .object(Dictionary((0..<rng.index(below: 5)).map { ("k\($0)", random(depth + 1)) }, uniquingKeysWith: { $1 }))
            }
        }
        for _ in 0..<2_000 {
            let bytes = Array(try JSONEncoder().encode(random(0)))
            let value = Self.read(bytes)
            #expect(value != nil && value == Self.decoded(bytes), "\(String(decoding: bytes, as: UTF8.self))")
        }
    }
}
