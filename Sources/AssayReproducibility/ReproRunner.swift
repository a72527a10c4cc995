import AssayCore
import Foundation

/// Runs the configured inference command N times with the same seed, each in a fresh working directory,
/// digests the declared outputs and stdout, and locates where outputs differ.
public struct ReproRunner: Sendable {
    public var settings: ReproSettings
    var inference: InferenceCommand { settings.inference }

    public init(settings: ReproSettings) {
        self.settings = settings
    }

    /// argv with `{seed}`, `{output}`, `{root}`, `{run}` and `{assay_dir}` (the directory of the running assay
    /// executable, where `swift build` puts the example service whatever the build configuration) substituted;
    /// a relative executable path is resolved against the workspace root.
    public func argv(output: String, run: Int) -> [String] {
        var argv = inference.command.map { argument in
            argument.replacingOccurrences(of: "{assay_dir}", with: Self.executableDirectory)
                .replacingOccurrences(of: "{seed}", with: String(inference.seed))
                .replacingOccurrences(of: "{output}", with: output)
                .replacingOccurrences(of: "{root}", with: settings.workspace.root)
                .replacingOccurrences(of: "{run}", with: String(run))
        }
        if let first = argv.first, first.contains("/"), !first.hasPrefix("/") {
            argv[0] = URL(fileURLWithPath: settings.workspace.resolve(first)).standardizedFileURL.path
        }
        return argv
    }

    /// The directory of the running executable (links resolved).
    static let executableDirectory: String = {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
    }()

    /// Runs the command `count` times unchanged, then once more per variation; every run is compared with run 1.
    public func run(runs count: Int, variations: [Variation] = [], id: String, now: Date = Date()) throws -> ReproEntry {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("assay-repro-\(id)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        var baseEnvironment = ProcessInfo.processInfo.environment
        for (key, value) in inference.environment { baseEnvironment[key] = value }
        baseEnvironment["ASSAY_SEED"] = String(inference.seed)
        let plan: [Variation?] = Array(repeating: nil, count: max(count, 1)) + variations.map { $0 }
        var runs: [ReproRun] = []
        var workDirectories: [String] = []
        for (offset, variation) in plan.enumerated() {
            let index = offset + 1
            // Every run but the cwd variation works in the same path, so outputs that embed it still agree;
            // afterwards its directory is moved aside for comparison.
            let runDirectory = base + "/run-\(index)"
            let work = base + (variation == .cwd ? "/a/deeper/working/directory/than/before" : "/work")
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            var environment = baseEnvironment
            environment["ASSAY_RUN"] = String(index)
            var command = argv(output: work, run: index)
            variation?.apply(environment: &environment, argv: &command, scratch: runDirectory)
            let result = CommandRunner.run(
                command, workingDirectory: work, environment: environment,
                environmentOrder: variation == .environmentOrder ? .reversed : .sorted,
                stdoutPath: runDirectory + "/stdout", stderrPath: runDirectory + "/stderr",
                timeoutSeconds: inference.timeoutSeconds)
            let kept = runDirectory + "/work"
            try FileManager.default.moveItem(atPath: work, toPath: kept)
            var outputs: [String: String?] = [:]
            for output in inference.outputs {
                outputs[output] = .some(try? TreeDigest.sha256(ofItemAt: kept + "/" + output))
            }
            runs.append(
                ReproRun(
                    index: index, variation: variation, exitCode: result.exitCode, signal: result.signal,
                    timedOut: result.timedOut, durationSeconds: result.durationSeconds, launchError: result.launchError,
                    stdoutSHA256: try? FileDigest.sha256(ofFileAt: runDirectory + "/stdout"), outputs: outputs))
            workDirectories.append(kept)
        }
        let differences = locateDifferences(runs: runs, workDirectories: workDirectories, base: base)
        let allSucceeded = runs.allSatisfy { $0.failure == nil }
        let outputsAgree = inference.outputs.allSatisfy { output in
            let digests = runs.map { $0.outputs[output] ?? nil }
            return digests.allSatisfy { $0 != nil && $0 == digests[0] }
        }
        let stdoutAgrees = !inference.compareStdout || Set(runs.map(\.stdoutSHA256)).count == 1
        return ReproEntry(
            id: id, recordedAt: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)),
            command: argv(output: "{output}", run: 0), seed: inference.seed,
            environmentManifestSHA256: try inference.manifest.map { try FileDigest.sha256(ofFileAt: settings.workspace.resolve($0)) },
            variations: variations, runs: runs,
            reproducible: allSucceeded && outputsAgree && stdoutAgrees, differences: differences)
    }

    /// For each output, where it first differs from run 1: against the first plain repeat that differs, and
    /// against every variation run that differs.
    func locateDifferences(runs: [ReproRun], workDirectories: [String], base: String) -> [OutputDifference] {
        var differences: [OutputDifference] = []
        let tolerance = settings.thresholds
        func differs(_ index: Int, _ output: String, _ reference: String) -> Bool {
            (runs[index].outputs[output] ?? nil).map { $0 != reference } ?? false
        }
        for output in inference.outputs {
            guard let reference = runs.first?.outputs[output] ?? nil else { continue }
            let plain = runs.indices.dropFirst().filter { runs[$0].variation == nil }
            var compared = plain.first { differs($0, output, reference) }.map { [$0] } ?? []
            compared += runs.indices.filter { runs[$0].variation != nil && differs($0, output, reference) }
            for other in compared {
                let label = runs[other].variation.map { " (run \(other + 1), \($0.rawValue) varied, vs run 1)" }
                    ?? " (run \(other + 1) vs run 1)"
                let (name, left, right) = firstDifferingFile(
                    output: output, expected: workDirectories[0] + "/" + output, observed: workDirectories[other] + "/" + output)
                var difference = OutputDifference.locate(
                    output: name, expectedPath: left, observedPath: right,
                    absoluteTolerance: tolerance.absoluteTolerance, relativeTolerance: tolerance.relativeTolerance)
                    ?? OutputDifference(output: name)
                difference.output = name + label
                difference.run = other + 1
                difference.variation = runs[other].variation
                differences.append(difference)
            }
        }
        if inference.compareStdout, runs.count > 1,
            let other = runs.indices.dropFirst().first(where: { runs[$0].stdoutSHA256 != runs[0].stdoutSHA256 }),
            var difference = OutputDifference.locate(
                output: "stdout", expectedPath: base + "/run-1/stdout", observedPath: base + "/run-\(other + 1)/stdout",
                absoluteTolerance: tolerance.absoluteTolerance, relativeTolerance: tolerance.relativeTolerance)
        {
            difference.output = "stdout (run \(other + 1) vs run 1)"
            difference.run = other + 1
            difference.variation = runs[other].variation
            differences.append(difference)
        }
        return differences
    }

    /// For a directory output, the first file (in sorted order) whose bytes differ; for a file, the file itself.
    func firstDifferingFile(output: String, expected: String, observed: String) -> (String, String, String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: expected, isDirectory: &isDirectory), isDirectory.boolValue else {
            return (output, expected, observed)
        }
        let left = Set((FileManager.default.subpaths(atPath: expected) ?? []))
        let right = Set((FileManager.default.subpaths(atPath: observed) ?? []))
        for name in left.union(right).sorted() {
            let a = expected + "/" + name
            let b = observed + "/" + name
            if FileManager.default.contents(atPath: a) != FileManager.default.contents(atPath: b) {
                return (output + "/" + name, a, b)
            }
        }
        return (output, expected, observed)
    }
}
