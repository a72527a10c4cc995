import ArgumentParser
import AssayCore
import ExampleInference
import Foundation

@main
struct ExampleService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assay-example",
        abstract: "A small, real inference service (MLP classifier) for Assay to audit.",
        discussion: """
            Same seed, same bytes: stochastic test-time augmentation and Monte-Carlo dropout draw from a \
            generator seeded per request. --nondeterministic and --slow-stage/--slow-ms let you watch Assay \
            catch a reproducibility failure or a latency regression.
            """,
        subcommands: [Batch.self, Serve.self, Train.self, MakeData.self]
    )
}

/// Options that shape the pipeline, shared by `batch` and `serve`.
struct PipelineOptions: ParsableArguments {
    @Option(help: "Model file (JSON) written by `assay-example train`.")
    var model: String

    @Option(help: "Seed of the per-request generators.")
    var seed: UInt64 = 42

    @Flag(help: "Ignore the seed: outputs differ from run to run.")
    var nondeterministic = false

    @Option(help: "Stage to slow down: preprocess, inference or postprocess.")
    var slowStage: String?

    @Option(help: "Extra milliseconds of busy work in --slow-stage per request.")
    var slowMs: Double = 0

    @Option(help: "Stochastic passes per request.")
    var passes: Int = 16

    func validate() throws {
        if let slowStage, Stage(rawValue: slowStage) == nil {
            throw ValidationError("--slow-stage must be preprocess, inference or postprocess")
        }
        guard slowMs >= 0, slowMs <= 10_000 else { throw ValidationError("--slow-ms must be in [0, 10000]") }
        guard (1...1024).contains(passes) else { throw ValidationError("--passes must be in [1, 1024]") }
    }

    func pipeline() throws -> Pipeline {
        let model = try Dataset.readModel(path: self.model)
        var options = Pipeline.Options()
        options.seed = seed
        options.nondeterministic = nondeterministic
        options.passes = passes
        if let slowStage, let stage = Stage(rawValue: slowStage) {
            options.slowdownMilliseconds[stage] = slowMs
        }
        return Pipeline(model: model, options: options)
    }
}

struct Batch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every request of a JSON-lines file; write predictions.jsonl and latency.jsonl.")

    @OptionGroup var pipelineOptions: PipelineOptions

    @Option(help: "Requests, one JSON object per line: {\"id\": …, \"features\": […]}.")
    var input: String

    @Option(help: "Directory for predictions.jsonl and latency.jsonl.")
    var output: String

    @Option(help: "Also write trace.json (Chrome trace format) for the first N requests.")
    var traceRequests: Int = 0

    func run() async throws {
        do {
            let requests = try Dataset.readLines(InferenceRequest.self, path: input)
            let records = try BatchRunner(pipeline: try pipelineOptions.pipeline())
                .run(requests: requests, outputDirectory: output, traceRequests: traceRequests)
            let total = records.map(\.totalMs).reduce(0, +)
            print("\(records.count) requests, \(String(format: "%.3f", total)) ms in total → \(output)")
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("assay-example: error: \(error)\n".utf8))
            throw ExitCode(65)
        }
    }
}

struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train the model on a JSON-lines training set.")

    @Option(help: "Training examples, one JSON object per line: {\"features\": […], \"label\": …}.")
    var data: String

    @Option(help: "Where to write the model (JSON).")
    var output: String

    @Option(help: "Training seed.")
    var seed: UInt64 = 7

    @Option(help: "Training epochs.")
    var epochs: Int = 60

    func run() async throws {
        let examples = try Dataset.readLines(LabeledExample.self, path: data)
        guard !examples.isEmpty else { throw ValidationError("\(data) holds no examples") }
        let labels = Array(Set(examples.map(\.label))).sorted()
        let model = Trainer(epochs: epochs, seed: seed).train(examples, labels: labels)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(model) + Data("\n".utf8), to: output)
        let correct = examples.filter { example in
            let p = model.probabilities(standardized: model.standardize(example.features))
            return model.labels[p.indices.max { p[$0] < p[$1] } ?? 0] == example.label
        }.count
        print("trained on \(examples.count) examples, training accuracy \(correct * 100 / examples.count)% → \(output)")
    }
}

struct MakeData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-data", abstract: "Write the synthetic training set and request file (same seed, same bytes).")

    @Option(help: "Directory to write train.jsonl and requests.jsonl into.")
    var output: String

    @Option(help: "Data seed.")
    var seed: UInt64 = 2024

    @Option(help: "Number of training examples.")
    var trainCount: Int = 300

    @Option(help: "Number of requests.")
    var requestCount: Int = 2000

    func run() async throws {
        let train = Dataset.generate(count: trainCount, seed: seed)
        let held = Dataset.generate(count: requestCount, seed: seed &+ 1)
        let requests = held.enumerated().map { index, example in
            let number = String(index)
            let id = "req-" + String(repeating: "0", count: max(0, 4 - number.count)) + number
            return InferenceRequest(id: id, features: example.features)
        }
        try AtomicFile.write(Array(try Dataset.jsonLines(train).utf8), to: output + "/train.jsonl")
        try AtomicFile.write(Array(try Dataset.jsonLines(requests).utf8), to: output + "/requests.jsonl")
        print("wrote \(train.count) training examples and \(requests.count) requests to \(output)")
    }
}
