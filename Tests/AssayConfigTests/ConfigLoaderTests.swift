import AssayConfig
import AssayCore
import AssayEnvironment
import AssayReproducibility
import Foundation
import Testing

@Suite struct ConfigLoaderTests {
    static let path = "/work/ws/assay.yaml"

    func parse(_ yaml: String) throws -> Configuration {
        try ConfigLoader.parse(yaml, path: Self.path, displayPath: "assay.yaml")
    }

    func failure(_ yaml: String) -> ConfigError? {
        do {
            _ = try parse(yaml)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func templateParsesToTheDefaults() throws {
        let configuration = try parse(ConfigTemplate.text(service: "svc"))
        #expect(configuration.thresholds == Thresholds())
        #expect(configuration.verdictRules == VerdictRules())
        #expect(configuration.service == "svc")
        #expect(configuration.store.path == ".assay/assay.sqlite")
        #expect(configuration.environments.map(\.name) == ["staging", "production"])
        #expect(configuration.root == "/work/ws")
    }

    /// The template's commented live section is valid as written once uncommented.
    @Test func theTemplatesLiveSectionParsesUncommented() throws {
        var lines: [String] = []
        var inside = false
        for line in ConfigTemplate.text(service: "svc").split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "# live:" { inside = true } else if inside, !trimmed.hasPrefix("#   ") { inside = false }
            lines.append(inside ? line.replacingOccurrences(of: "# ", with: "", options: [], range: line.range(of: "# ")) : line)
        }
        let live = try #require(try parse(lines.joined(separator: "\n")).live)
        #expect(live.command.first == ".venv/bin/uvicorn" && live.keepRuns == 20 && live.windowSeconds == 60)
        #expect(live.traces == "{evidence}/traces" && live.body == #"{"inputs": [1, 2, 3]}"#)
    }

    @Test func emptyFileMeansAllDefaults() throws {
        let configuration = try parse("")
        #expect(configuration.thresholds == Thresholds())
        #expect(configuration.artifacts.isEmpty)
    }

    @Test func defaultsMatchTheReportFormatRules() {
        let t = Thresholds()
        #expect(t.environment.maxDriftPercent == 0.5)
        #expect(t.resources.cpuPercent == 80 && t.resources.gpuPercent == 90 && t.resources.memoryPercent == 85)
        #expect(t.resources.uptimeP95Percent == 99 && t.resources.spikeRisePercent == 20)
        #expect(t.resources.gpuMemoryGrowthPercentPerHour == 5 && t.resources.sustainedLoadPercent == 85)
        #expect(t.latency.minAttributedPercent == 90 && t.latency.maxUnknownPercent == 10)
        #expect(t.latency.optimizationMinP95DropMilliseconds == 2)
        #expect(t.regression.p95OverBaselineMilliseconds == 5 && t.regression.meanIncreasePercent == 10)
        #expect(t.regression.throughputDropRequestsPerSecond == 20 && t.regression.escalateAfterSeconds == 180)
        #expect(t.baseline.windowDays == 7)
        #expect(t.capacity.projectionsPercent == [5, 20])
        #expect(t.report.summaryMaxWords == 250 && t.report.reviewIntervalHours == 24)
    }

    @Test func thresholdsOverrideDefaults() throws {
        let configuration = try parse(
            """
            thresholds:
              resources:
                cpu_percent: 70
              capacity:
                projections_percent: [10, 50, 100]
              latency:
                bootstrap_resamples: 2000
            """)
        #expect(configuration.thresholds.resources.cpuPercent == 70)
        #expect(configuration.thresholds.resources.gpuPercent == 90)
        #expect(configuration.thresholds.capacity.projectionsPercent == [10, 50, 100])
        #expect(configuration.thresholds.latency.bootstrapResamples == 2000)
    }

    @Test func unknownKeyNamesFileLineAndKey() throws {
        let error = try #require(failure(
            """
            version: 1
            thresholds:
              resources:
                cpu_percent: 80
                cpu_precent: 70
            """))
        #expect(error.file == "assay.yaml")
        #expect(error.line == 5)
        #expect(error.key == "thresholds.resources.cpu_precent")
        #expect(error.description.hasPrefix("assay.yaml:5:5: thresholds.resources.cpu_precent: unknown key"))
    }

    @Test func unknownTopLevelKey() throws {
        let error = try #require(failure("version: 1\nworkspac:\n  service: x\n"))
        #expect(error.line == 2)
        #expect(error.key == "workspac")
    }

    @Test func wrongTypeNamesTheKey() throws {
        let error = try #require(failure(
            """
            thresholds:
              resources:
                memory_percent: high
            """))
        #expect(error.line == 3)
        #expect(error.key == "thresholds.resources.memory_percent")
        #expect(error.message.contains("expected a number"))
    }

    @Test func quotedNumberIsAWrongType() throws {
        let error = try #require(failure("workspace:\n  inference:\n    command: [run]\n    seed: \"42\"\n"))
        #expect(error.key == "workspace.inference.seed")
        #expect(error.line == 4)
    }

    @Test(arguments: [
        ("resources", "cpu_percent", "150"),
        ("resources", "cpu_percent", "0"),
        ("environment", "max_drift_percent", "-1"),
        ("latency", "confidence_level", "1.5"),
        ("reproducibility", "runs", "1"),
        ("report", "summary_max_words", "0"),
        ("baseline", "window_days", "0"),
    ])
    func impossibleThresholdsAreErrors(section: String, key: String, value: String) throws {
        let error = try #require(failure("thresholds:\n  \(section):\n    \(key): \(value)\n"))
        #expect(error.line == 3)
        #expect(error.key == "thresholds.\(section).\(key)")
        #expect(error.message.contains("impossible value"))
    }

    /// The keys this round added: read when right, named with their line when not.
    @Test func evidenceAgeFixturesAndScrapeInterval() throws {
        let configuration = try parse(
            "workspace:\n  max_evidence_age_hours: 48\n  fixtures: true\nintegrations:\n  prometheus: {url: \"http://127.0.0.1:9090\", scrape_interval: 1m}\n")
        #expect(configuration.maxEvidenceAgeHours == 48 && configuration.fixtures)
        #expect(configuration.integrations.prometheusScrapeInterval == 60 && configuration.integrations.prometheusURL == "http://127.0.0.1:9090")
        #expect(try parse("version: 1\n").maxEvidenceAgeHours == 24)
        let age = try #require(failure("workspace:\n  max_evidence_age_hours: -3\n"))
        #expect(age.line == 2 && age.key == "workspace.max_evidence_age_hours" && age.message.contains("positive number of hours"), "\(age)")
        let interval = try #require(failure("integrations:\n  prometheus:\n    url: http://127.0.0.1:9090\n    scrape_interval: soon\n"))
        #expect(interval.line == 4 && interval.key == "integrations.prometheus.scrape_interval" && interval.message.contains("a duration such as 15s"), "\(interval)")
    }

    @Test func syntaxErrorHasALine() throws {
        let error = try #require(failure("workspace:\n  service: [unclosed\nstore:\n"))
        #expect(error.line > 0)
        #expect(error.message.hasPrefix("invalid YAML"))
    }

    @Test func unknownLayerInRequiredLayers() throws {
        let error = try #require(failure("verdict:\n  required_layers: [environment, gpu]\n"))
        #expect(error.key == "verdict.required_layers[1]")
        #expect(error.line == 2)
    }

    @Test func duplicateKeyIsAnError() throws {
        let error = try #require(failure("store:\n  path: a.sqlite\n  path: b.sqlite\n"))
        #expect(error.key == "path")
        #expect(error.line > 0)
        #expect(error.message.contains("duplicate key"))
    }

    @Test func artifactsAndInferenceAreRead() throws {
        let digest = String(repeating: "ab", count: 32)
        let configuration = try parse(
            """
            workspace:
              root: ..
              artifacts:
                - name: weights
                  kind: model
                  path: model.bin
                  approved_sha256: sha256:\(digest.uppercased())
              inference:
                command: [python, infer.py, --seed, "{seed}"]
                seed: 7
                outputs: [out.json]
                environment: {PYTHONHASHSEED: "0"}
            verdict:
              required_layers: [environment]
            """)
        #expect(configuration.root == "/work")
        #expect(configuration.artifacts.first?.approvedSHA256 == digest)
        #expect(configuration.artifacts.first?.kind == .model)
        #expect(configuration.inference?.seed == 7)
        #expect(configuration.inference?.environment == ["PYTHONHASHSEED": "0"])
        #expect(configuration.verdictRules.requiredLayers == [.environment])
        #expect(configuration.resolve("model.bin") == "/work/model.bin")
    }

    @Test func badDigestIsRejected() throws {
        let error = try #require(failure("workspace:\n  artifacts:\n    - path: a\n      approved_sha256: 1234\n"))
        #expect(error.key == "workspace.artifacts[0].approved_sha256")
        #expect(error.line == 4)
    }

    @Test func missingFileIsAnError() {
        #expect(throws: ConfigError.self) {
            try ConfigLoader.load(path: "/nonexistent/assay.yaml")
        }
    }

    @Test func environmentKeysReachTheEnvironmentSettings() throws {
        let configuration = try ConfigLoader.parse(
            "workspace:\n  approvals: approvals.yaml\n  registries:\n    models: m.json\n    datasets: d.yaml\n  drift_gates: [numpy]\n"
                + "  inference:\n    command: [./infer]\n    manifest: env_manifest.yaml\nthresholds:\n  environment:\n    max_drift_percent: 2\n",
            path: "/tmp/assay.yaml")
        let settings = configuration.environmentSettings
        #expect(settings.approvals == "approvals.yaml")
        #expect(settings.registries.models == "m.json" && settings.registries.datasets == "d.yaml")
        #expect(settings.driftGates == ["numpy"])
        #expect(settings.thresholds.maxDriftPercent == 2)
        #expect(settings.inferenceManifest == "env_manifest.yaml")
        #expect(settings.workspace.resolve("m.json") == "/tmp/m.json")
        #expect(configuration.reproSettings?.inference.command == ["./infer"])
    }
}
