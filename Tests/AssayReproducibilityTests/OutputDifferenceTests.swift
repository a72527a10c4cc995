import AssayReproducibility
import Foundation
import Testing

@Suite struct OutputDifferenceTests {
    func locate(_ a: String, _ b: String, tolerance: Double = 1e-6) -> OutputDifference? {
        OutputDifference.locate(
            output: "o", expected: Data(a.utf8), observed: Data(b.utf8), absoluteTolerance: tolerance, relativeTolerance: tolerance)
    }

    @Test func identicalBytesHaveNoDifference() {
        #expect(locate("same", "same") == nil)
    }

    @Test func firstDifferingByteAndLine() throws {
        let difference = try #require(locate("abc\ndef\nxyz", "abc\ndeF\nxyz"))
        #expect(difference.firstDifferingByte == 6)
        #expect(difference.line == 2)
        #expect(difference.jsonPointer == nil)
    }

    @Test func prefixDiffersAtTheShorterLength() throws {
        #expect(try #require(locate("abc", "abcd")).firstDifferingByte == 3)
    }

    @Test func jsonDifferenceByPointer() throws {
        let difference = try #require(locate(#"{"a": {"b": [1, 2, "x"]}, "c": true}"#, #"{"c": true, "a": {"b": [1, 2, "y"]}}"#))
        #expect(difference.jsonPointer == "/a/b/2")
        #expect(difference.expectedValue == "\"x\"")
        #expect(difference.observedValue == "\"y\"")
        #expect(!difference.withinTolerance)
    }

    @Test func jsonLinesPointerNamesTheLine() throws {
        let difference = try #require(locate("{\"p\": 0.5}\n{\"p\": 0.25}\n", "{\"p\": 0.5}\n{\"p\": 0.75}\n"))
        #expect(difference.jsonPointer == "line 2 /p")
        #expect(difference.differingNumbers == 1)
        #expect(difference.maxAbsoluteDifference == 0.5)
    }

    @Test func numericNoiseIsWithinTolerance() throws {
        let difference = try #require(locate(#"{"p": [0.1, 0.2]}"#, #"{"p": [0.10000000001, 0.2]}"#))
        #expect(difference.withinTolerance)
        #expect(difference.differingNumbers == 1)
        #expect(difference.summary.contains("numerically within tolerance"))
        let large = try #require(locate(#"{"p": [0.1, 0.2]}"#, #"{"p": [0.1001, 0.2]}"#))
        #expect(!large.withinTolerance)
    }

    @Test func booleansAreNotNumbers() throws {
        let difference = try #require(locate(#"{"ok": true}"#, #"{"ok": 1}"#))
        #expect(!difference.withinTolerance)
        #expect(difference.jsonPointer == "/ok")
    }

    @Test func missingKeyIsADifference() throws {
        let difference = try #require(locate(#"{"a": 1, "b": 2}"#, #"{"a": 1}"#))
        #expect(difference.jsonPointer == "/b")
        #expect(difference.observedValue == nil)
    }
}
