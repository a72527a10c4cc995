import AssayCore
import Foundation
import Testing

@Suite struct JSONValueTests {
    /// Numbers are tried before Bools: `true` must stay a Bool and `1` a number, at every depth.
    @Test func everyKindIsReadAsItself() throws {
        let text = #"{"t":true,"f":false,"one":1,"zero":0,"x":2.5e-3,"s":"1","n":null,"a":[true,1,"a",null],"o":{"b":false,"c":3}}"#
        let value = try #require(JSONValue.parse(Array(text.utf8)))
        let expected: JSONValue = .object([
            "t": .bool(true), "f": .bool(false), "one": .number(1), "zero": .number(0), "x": .number(0.0025), "s": .string("1"),
            "n": .null, "a": .array([.bool(true), .number(1), .string("a"), .null]),
            "o": .object(["b": .bool(false), "c": .number(3)]),
        ])
        #expect(value == expected)
    }
}
