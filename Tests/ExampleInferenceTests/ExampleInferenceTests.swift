import AssayCore
import ExampleInference
import Foundation
import AssayTestSupport
import Testing

@Suite struct ExampleInferenceTests {
    static let exampleRoot = TestFiles.packageRoot + "/Examples/InferenceService"

    static func model() throws -> Model { try Dataset.readModel(path: exampleRoot + "/model/model.json") }
    static func requests() throws -> [InferenceRequest] {
        try Dataset.readLines(InferenceRequest.self, path: exampleRoot + "/data/requests.jsonl")
    }

    func run(_ options: Pipeline.Options) throws -> (predictions: Data, latency: [LatencyRecord]) {
        let directory = try TestFiles.temporaryDirectory("assay-example")
        let latency = try BatchRunner(pipeline: Pipeline(model: try Self.model(), options: options))
            .run(requests: try Self.requests(), outputDirectory: directory)
        return (try Data(contentsOf: URL(fileURLWithPath: directory + "/predictions.jsonl")), latency)
    }

    @Test func sameSeedGivesByteIdenticalOutputs() throws {
        let first = try run(Pipeline.Options())
        let second = try run(Pipeline.Options())
        #expect(first.predictions == second.predictions)
        #expect(first.predictions.count > 10_000)
    }

    @Test func anotherSeedGivesOtherOutputs() throws {
        var options = Pipeline.Options()
        options.seed = 43
        #expect(try run(options).predictions != run(Pipeline.Options()).predictions)
    }

    @Test func nondeterministicSwitchChangesTheBytes() throws {
        var options = Pipeline.Options()
        options.nondeterministic = true
        #expect(try run(options).predictions != run(options).predictions)
    }

    @Test func slowSwitchSlowsTheNamedStage() throws {
        var options = Pipeline.Options()
        options.slowdownMilliseconds[.inference] = 2
        let records = try run(options).latency
        #expect(records.allSatisfy { $0.inferenceMs >= 2 })
        #expect(records.allSatisfy { abs($0.totalMs - ($0.preprocessMs + $0.inferenceMs + $0.postprocessMs)) < 0.01 })
    }

    @Test func shippedDataIsWhatTheGeneratorWrites() throws {
        let regenerated = Dataset.generate(count: 300, seed: 2024)
        let shipped = try Dataset.readLines(LabeledExample.self, path: Self.exampleRoot + "/data/train.jsonl")
        #expect(regenerated == shipped)
    }

    @Test func modelClassifiesTheRequestsWell() throws {
        let model = try Self.model()
        let truth = Dataset.generate(count: 2000, seed: 2025)
        let pipeline = Pipeline(model: model)
        let correct = try zip(try Self.requests(), truth).filter { request, example in
            try pipeline.process(request).0.label == example.label
        }.count
        #expect(correct >= 1800)
    }

    @Test func badRequestsAreErrorsNotCrashes() throws {
        let pipeline = Pipeline(model: try Self.model())
        #expect(throws: PipelineError.wrongFeatureCount(id: "r", expected: 8, got: 2)) {
            try pipeline.process(InferenceRequest(id: "r", features: [1, 2]))
        }
        #expect(throws: PipelineError.nonFiniteFeature(id: "r", index: 3)) {
            try pipeline.process(InferenceRequest(id: "r", features: [0, 0, 0, .nan, 0, 0, 0, 0]))
        }
    }

    @Test func malformedLineNamesFileAndLine() throws {
        let path = try TestFiles.temporaryFile("assay-bad.jsonl")
        try AtomicFile.write(Array("{\"id\":\"a\",\"features\":[1]}\n\n{\"id\": 3}\n".utf8), to: path)
        #expect {
            try Dataset.readLines(InferenceRequest.self, path: path)
        } throws: { error in
            "\(error)".hasPrefix("\(path):3: expected a JSON InferenceRequest")
        }
    }
}
