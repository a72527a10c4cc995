import AssayConfig
import AssayCore
import AssayEnvironment
import AssayIntegrations
import AssayReproducibility
import AssayTestSupport
import Foundation
import Testing

/// Against a real MLflow tracking server (see `MLflowTestServer`).
@Suite(.serialized, .enabled(if: MLflowTestServer.available, "needs an MLflow server: run .ci/run or create .venv-mlflow"))
struct MLflowTests {
    static let model = Array("{\"weights\": [0.25, -1.5, 3.0]}\n".utf8)

    func client() async throws -> MLflowClient {
        MLflowClient(trackingURI: try await MLflowTestServer.shared.start())
    }

    /// A run like a training job would log: seed, commit, model version, config hash and the model file.
    func trainingRun(_ client: MLflowClient, seed: String = "42") async throws -> MLflowRun {
        let experiment = try await client.experimentID(named: "assay-tests")
        let run = try await client.createRun(
            experimentID: experiment, name: "train-\(UUID().uuidString.prefix(6))",
            tags: ["mlflow.source.git.commit": "0123456789abcdef0123456789abcdef01234567"])
        try await client.logBatch(
            runID: run.runID,
            params: ["seed": seed, "model_version": "v1.0.0", "config_sha256": FileDigest.sha256(of: Array("cfg".utf8))],
            metrics: ["accuracy": 0.97])
        try await client.uploadArtifact(artifactURI: run.artifactURI, path: "model/model.json", bytes: Self.model)
        try await client.finishRun(runID: run.runID)
        return run
    }

    func configuration(_ trackingURI: String) -> (Configuration, Configuration.MLflow) {
        var configuration = Configuration(path: "/tmp/assay.yaml", root: "/tmp")
        configuration.inference = InferenceCommand(command: ["true"], seed: 42)
        configuration.artifacts = [
            .init(name: "weights", kind: .model, path: "model.json", version: "v1.0.0"),
            .init(name: "config", kind: .config, path: "config.yaml", approvedSHA256: FileDigest.sha256(of: Array("cfg".utf8))),
        ]
        var settings = Configuration.MLflow(trackingURI: trackingURI)
        settings.expectedGitCommit = "0123456789abcdef0123456789abcdef01234567"
        settings.expectedArtifacts = ["model/model.json": FileDigest.sha256(of: Self.model)]
        return (configuration, settings)
    }

    @Test func clientRoundTripsParamsMetricsTagsAndArtifacts() async throws {
        let client = try await client()
        let run = try await trainingRun(client)
        let fetched = try await client.run(id: run.runID)
        #expect(fetched.params["seed"] == "42")
        #expect(fetched.metrics["accuracy"] == 0.97)
        #expect(fetched.tags["mlflow.source.git.commit"]?.hasPrefix("0123") == true)
        #expect(fetched.status == "FINISHED")
        let listed = try await client.listArtifacts(runID: run.runID, path: "model")
        #expect(listed.map(\.path) == ["model/model.json"])
        let (digest, bytes) = try await client.sha256(ofArtifact: "model/model.json", artifactURI: run.artifactURI)
        #expect(digest == FileDigest.sha256(of: Self.model))
        #expect(bytes == Self.model.count)
    }

    @Test func verifierPassesAnUntouchedRunAndCatchesATamperedArtifact() async throws {
        let client = try await client()
        let run = try await trainingRun(client)
        let (configuration, settings) = configuration(client.trackingURI)
        let verifier = MLflowVerifier(configuration: configuration, settings: settings)
        let clean = try await verifier.verify(runID: run.runID)
        #expect(clean.count == 5)
        #expect(clean.allSatisfy { $0.status == .pass }, "\(clean.map { "\($0.check): \($0.observed)" })")
        #expect(clean.allSatisfy { $0.primaryEvidence.mlflowRunID == run.runID })

        // Someone replaces the model in the run's artifact store.
        try await client.uploadArtifact(
            artifactURI: run.artifactURI, path: "model/model.json", bytes: Array("{\"weights\": [9]}\n".utf8))
        let tampered = try await verifier.verify(runID: run.runID)
        let artifact = try #require(tampered.first { $0.check.hasSuffix("artifact model/model.json") })
        #expect(artifact.status == .integrityFailure)
        #expect(artifact.primaryEvidence.sha256 == FileDigest.sha256(of: Array("{\"weights\": [9]}\n".utf8)))
    }

    @Test func wrongSeedAndMissingArtifactAreFindings() async throws {
        let client = try await client()
        let run = try await trainingRun(client, seed: "7")
        var (configuration, settings) = configuration(client.trackingURI)
        settings.expectedArtifacts["model/missing.bin"] = String(repeating: "a", count: 64)
        let findings = try await MLflowVerifier(configuration: configuration, settings: settings).verify(runID: run.runID)
        #expect(findings.first { $0.check.hasSuffix(": seed") }?.status == .integrityFailure)
        #expect(findings.first { $0.check.hasSuffix("model/missing.bin") }?.status == .unverified)
    }

    @Test func unknownRunIsAnHTTPError() async throws {
        let client = try await client()
        await #expect(throws: MLflowError.self) { try await client.run(id: "0000000000000000000000000000dead") }
    }

    @Test func auditIsLoggedAsARun() async throws {
        let client = try await client()
        var settings = Configuration.MLflow(trackingURI: client.trackingURI)
        settings.experiment = "assay-audit-tests"
        let logger = MLflowAuditLogger(settings: settings)
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        let layers = [
            LayerResult(
                layer: .latency, state: .verified,
                findings: [
                    Finding(
                        table: .latencyProfile, check: "Total", status: .pass, observed: "1 ms",
                        measurements: ["p95_ms": 12.5], evidence: Evidence(path: "l.jsonl", sha256: String(repeating: "b", count: 64)))
                ], startedAt: date)
        ]
        let audit = AuditRun(
            id: "audit-\(UUID().uuidString.prefix(6))", startedAt: date, finishedAt: date,
            configuration: Evidence(path: "assay.yaml", sha256: String(repeating: "c", count: 64)), layers: layers,
            judgement: Judgement(verdict: .stable, reasons: []))
        let report = try TestFiles.temporaryFile("assay-mlflow-report.md")
        try AtomicFile.write(Array("# report\n".utf8), to: report)
        var configuration = Configuration(path: "/tmp/assay.yaml", root: "/tmp")
        configuration.inference = InferenceCommand(command: ["true"], seed: 42)
        let run = try await logger.start(audit)
        try await logger.finish(run, audit: audit, configuration: configuration, reportFiles: [report])
        let fetched = try await client.run(id: run.runID)
        #expect(fetched.params["verdict"] == "STABLE")
        #expect(fetched.params["seed"] == "42")
        #expect(fetched.metrics["latency/total/p95_ms"] == 12.5)
        #expect(fetched.tags["assay.run_id"] == audit.id)
        let artifacts = try await client.listArtifacts(runID: run.runID, path: "assay-report")
        #expect(artifacts.count == 1)
    }

    @Test func registeredModelVersionIsHeldAgainstTheDeployedFiles() async throws {
        let client = try await client()
        let run = try await trainingRun(client)
        try await client.uploadArtifact(artifactURI: run.artifactURI, path: "model/meta/card.txt", bytes: Array("card\n".utf8))
        let name = "assay-model-\(UUID().uuidString.prefix(6))"
        try await client.createRegisteredModel(name: name)
        let version = try await client.createModelVersion(name: name, source: run.artifactURI + "/model", runID: run.runID)
        try await client.setAlias(name: name, alias: "production", version: version)

        let root = try TestFiles.temporaryDirectory("assay-deployed")
        try AtomicFile.write(Self.model, to: root + "/model/model.json")
        try AtomicFile.write(Array("card\n".utf8), to: root + "/model/meta/card.txt")
        try AtomicFile.write(Array("version: 1\n".utf8), to: root + "/assay.yaml")
        var settings = Configuration.MLflow(trackingURI: client.trackingURI)
        settings.models = [.init(uri: "models:/\(name)@production", path: "model"), .init(uri: "models:/\(name)/\(version)", path: "model")]
        let configuration = Configuration(path: root + "/assay.yaml", root: root)
        let verifier = MLflowVerifier(configuration: configuration, settings: settings)
        let clean = try await verifier.verifyModels()
        #expect(clean.map(\.status) == [.pass, .pass], "\(clean.map(\.observed))")
        #expect(clean[0].observed == "model matches v\(version) (2 files)")
        #expect(clean[0].primaryEvidence.mlflowRunID == run.runID)

        try AtomicFile.write(Array("{\"weights\": []}\n".utf8), to: root + "/model/model.json")
        let changed = try await verifier.verifyModels()
        #expect(changed[0].status == .integrityFailure)
        #expect(changed[0].observed == "differs from v\(version): model.json")
    }
}
