import AssayReproducibility
import Foundation
import AssayTestSupport
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
        #expect(difference.location == nil)
    }

    @Test func prefixDiffersAtTheShorterLength() throws {
        #expect(try #require(locate("abc", "abcd")).firstDifferingByte == 3)
    }

    @Test func jsonDifferenceByPointer() throws {
        let difference = try #require(locate(#"{"a": {"b": [1, 2, "x"]}, "c": true}"#, #"{"c": true, "a": {"b": [1, 2, "y"]}}"#))
        #expect(difference.location == "/a/b/2")
        #expect(difference.expectedValue == "\"x\"")
        #expect(difference.observedValue == "\"y\"")
        #expect(!difference.withinTolerance)
    }

    @Test func jsonLinesPointerNamesTheLine() throws {
        let difference = try #require(locate("{\"p\": 0.5}\n{\"p\": 0.25}\n", "{\"p\": 0.5}\n{\"p\": 0.75}\n"))
        #expect(difference.location == "line 2 /p")
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
        #expect(difference.location == "/ok")
    }

    @Test func missingKeyIsADifference() throws {
        let difference = try #require(locate(#"{"a": 1, "b": 2}"#, #"{"a": 1}"#))
        #expect(difference.location == "/b")
        #expect(difference.observedValue == nil)
    }
}

@Suite struct StructuredDifferenceTests {
    func locate(_ name: String, _ a: Data, _ b: Data, tolerance: Double = 1e-6) -> OutputDifference? {
        OutputDifference.locate(output: name, expected: a, observed: b, absoluteTolerance: tolerance, relativeTolerance: tolerance)
    }

    @Test func csvDifferenceByRowAndColumn() throws {
        let a = Data("id,label,score\n1,cat,0.5\n2,dog,0.25\n".utf8)
        let b = Data("id,label,score\n1,cat,0.5\n2,dog,0.75\n".utf8)
        let difference = try #require(locate("scores.csv", a, b))
        #expect(difference.location == "row 2, column score")
        #expect(difference.expectedValue == "0.25" && difference.observedValue == "0.75")
        #expect(difference.maxAbsoluteDifference == 0.5)
        #expect(!difference.withinTolerance)
    }

    @Test func csvNumericNoiseAndTextChanges() throws {
        let noise = try #require(locate("a.csv", Data("x,y\n1.0,\"a,b\"\n".utf8), Data("x,y\n1.0000000001,\"a,b\"\n".utf8)))
        #expect(noise.withinTolerance)
        let text = try #require(locate("a.tsv", Data("x\ty\n1\tcat\n".utf8), Data("x\ty\n1\tdog\n".utf8)))
        #expect(text.location == "row 1, column y")
        #expect(!text.withinTolerance)
        let rows = try #require(locate("a.csv", Data("x\n1\n".utf8), Data("x\n1\n2\n".utf8)))
        #expect(rows.location == "row 2")
    }

    /// `.npy` files written by NumPy itself.
    @Test func npyDifferencesFromRealNumPyFiles() throws {
        let directory = try TestFiles.temporaryDirectory("assay-npy")
        let script = """
            import numpy as np, sys
            d = sys.argv[1]
            a = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
            b = a.copy(); b[1, 2] += 0.5
            np.save(d + '/a64.npy', a); np.save(d + '/b64.npy', b)
            c = a.copy(); c[2, 3] += 1e-12
            np.save(d + '/c64.npy', c)
            np.save(d + '/a32.npy', a.astype(np.float32)); np.save(d + '/b32.npy', b.astype(np.float32))
            np.save(d + '/af.npy', np.asfortranarray(a)); np.save(d + '/bf.npy', np.asfortranarray(b))
            np.save(d + '/ai.npy', np.array([1, -2, 3], dtype='>i4')); np.save(d + '/bi.npy', np.array([1, -5, 3], dtype='>i4'))
            np.save(d + '/shape.npy', np.zeros((4, 3)))
            a.astype('<f4').tofile(d + '/a.f32'); b.astype('<f4').tofile(d + '/b.f32')
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        func file(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)) }

        let float64 = try #require(locate("out.npy", try file("a64.npy"), try file("b64.npy")))
        #expect(float64.location == "[1, 2]")
        #expect(float64.differingNumbers == 1)
        #expect(abs((float64.maxAbsoluteDifference ?? 0) - 0.5) < 1e-12)
        #expect(!float64.withinTolerance)

        let tiny = try #require(locate("out.npy", try file("a64.npy"), try file("c64.npy")))
        #expect(tiny.withinTolerance)
        #expect(tiny.location == "[2, 3]")

        #expect(try #require(locate("out.npy", try file("a32.npy"), try file("b32.npy"))).location == "[1, 2]")
        #expect(try #require(locate("out.npy", try file("af.npy"), try file("bf.npy"))).location == "[1, 2]")
        let ints = try #require(locate("out.npy", try file("ai.npy"), try file("bi.npy")))
        #expect(ints.location == "[1]")
        #expect(ints.expectedValue == "-2" && ints.observedValue == "-5")
        let shape = try #require(locate("out.npy", try file("a64.npy"), try file("shape.npy")))
        #expect(shape.location == "shape")
        #expect(shape.expectedValue == "(3, 4)" && shape.observedValue == "(4, 3)")
        let raw = try #require(locate("out.f32", try file("a.f32"), try file("b.f32")))
        #expect(raw.location == "[6]")
    }
}
