import AssayCore
import AssayEnvironment
import AssayLatency
import AssayReproducibility
import Foundation
import Yams

/// Loads and validates `assay.yaml`.
public enum ConfigLoader {
    /// Reads the configuration at `path`. Errors name the file, line and key.
    public static func load(path: String) throws -> Configuration {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let data = FileManager.default.contents(atPath: absolute) else {
            throw ConfigError(file: path, line: 0, column: 0, key: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: 0, column: 0, key: "", message: "not UTF-8 text")
        }
        return try parse(text, path: absolute, displayPath: path)
    }

    /// Parses configuration text. `path` locates the workspace root; `displayPath` appears in errors.
    public static func parse(_ text: String, path: String, displayPath: String? = nil) throws -> Configuration {
        let file = displayPath ?? path
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var config = Configuration(path: path, root: directory)
        guard let node else { return config }
        let top = try YAMLReader(node, keyPath: "", file: file)
        if let version = try top.int("version"), version != 1 {
            throw top.error(top.node("version"), key: "version", "unsupported version \(version); this Assay reads version 1")
        }
        if let workspace = try top.mapping("workspace") {
            try readWorkspace(workspace, into: &config)
        }
        if let store = try top.mapping("store") { config.store = try readStore(store) }
        if let integrations = try top.mapping("integrations") {
            config.integrations = try readIntegrations(integrations)
        }
        if let thresholds = try top.mapping("thresholds") {
            config.thresholds = try ThresholdKeys.read(thresholds)
        }
        if let verdict = try top.mapping("verdict") {
            if let names = try verdict.strings("required_layers") {
                var layers: Set<Layer> = []
                for (index, name) in names.enumerated() {
                    guard let layer = Layer(rawValue: name) else {
                        let allowed = Layer.allCases.map(\.rawValue).joined(separator: ", ")
                        throw try verdict.error(
                            verdict.list("required_layers")?[index], key: "required_layers[\(index)]",
                            "unknown layer '\(name)' (one of: \(allowed))")
                    }
                    layers.insert(layer)
                }
                config.verdictRules = VerdictRules(requiredLayers: layers)
            }
            try verdict.finish()
        }
        if let schedule = try top.mapping("schedule") {
            var spec = Configuration.Schedule(jobs: [])
            if let tick = try schedule.string("tick") {
                guard let seconds = durationSeconds(tick) else { throw schedule.error(schedule.node("tick"), key: "tick", "a duration such as 30s, 5m, 1h") }
                spec.tickSeconds = seconds
            }
            spec.state = try schedule.string("state") ?? spec.state
            for job in try schedule.mappings("jobs") {
                guard let name = try job.string("name"), !name.isEmpty else { throw job.error(nil, key: "name", "required: the job's name") }
                let kinds = ["audit", "environment", "reproducibility"]
                guard let kind = try job.string("kind"), kinds.contains(kind) else {
                    throw job.error(job.node("kind"), key: "kind", "one of: \(kinds.joined(separator: ", "))")
                }
                var every: Double?
                if let text = try job.string("every") {
                    guard let seconds = durationSeconds(text) else { throw job.error(job.node("every"), key: "every", "a duration such as 90s, 15m, 24h, 7d") }
                    every = seconds
                }
                let onChange = try job.strings("on_change") ?? []
                guard every != nil || !onChange.isEmpty else {
                    throw job.error(nil, key: "every", "every or on_change (a job must have something that starts it)")
                }
                spec.jobs.append(.init(name: name, kind: kind, everySeconds: every, onChange: onChange))
                try job.finish()
            }
            if Set(spec.jobs.map(\.name)).count != spec.jobs.count { throw schedule.error(schedule.node("jobs"), key: "jobs", "unique job names") }
            config.schedule = spec
            try schedule.finish()
        }
        if let report = try top.mapping("report") {
            config.report.output = try report.string("output") ?? config.report.output
            if let names = try report.strings("formats") {
                config.report.formats = try names.enumerated().map { index, name in
                    guard let format = Configuration.ReportFormat(rawValue: name) else {
                        throw try report.error(
                            report.list("formats")?[index], key: "formats[\(index)]",
                            "unknown format '\(name)' (one of: markdown, json, html)")
                    }
                    return format
                }
            }
            try report.finish()
        }
        try top.finish()
        return config
    }

    static func syntaxError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                file: file, line: context.mark.line, column: context.mark.column,
                key: duplicates.joined(separator: ", "), message: "duplicate key in this mapping")
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            return ConfigError(file: file, line: mark.line, column: mark.column, key: "", message: "invalid YAML: \(detail)")
        default:
            return ConfigError(file: file, line: 0, column: 0, key: "", message: "invalid YAML: \(error)")
        }
    }

    static func readWorkspace(_ reader: YAMLReader, into config: inout Configuration) throws {
        if let root = try reader.string("root") {
            config.root = URL(fileURLWithPath: config.resolve(root)).standardizedFileURL.path
        }
        config.service = try reader.string("service") ?? config.service
        if let environments = try reader.mapping("environments") {
            config.environments = try environments.keys.map { name in
                guard let env = try environments.mapping(name) else {
                    return EnvironmentSpec(name: name)
                }
                let spec = EnvironmentSpec(
                    name: name, manifest: try env.string("manifest"), artifacts: try env.string("artifacts"))
                try env.finish()
                return spec
            }
            try environments.finish()
        }
        config.artifacts = try reader.mappings("artifacts").map { item in
            let kindName = try item.string("kind") ?? "other"
            guard let kind = ArtifactKind(rawValue: kindName) else {
                let allowed = ArtifactKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw item.error(item.node("kind"), key: "kind", "unknown kind '\(kindName)' (one of: \(allowed))")
            }
            guard let path = try item.string("path") else { throw item.error(nil, key: "path", "required") }
            let approved = try item.string("approved_sha256").map { $0.lowercased() }
            if let approved, !isSHA256Hex(approved.replacingOccurrences(of: "sha256:", with: "")) {
                throw item.error(item.node("approved_sha256"), key: "approved_sha256", "expected 64 hex digits")
            }
            let artifact = Artifact(
                name: try item.string("name") ?? path, kind: kind, path: path,
                approvedSHA256: approved?.replacingOccurrences(of: "sha256:", with: ""),
                version: try item.string("version"))
            try item.finish()
            return artifact
        }
        if let hours = try reader.double("max_evidence_age_hours") {
            guard hours.isFinite, hours > 0 else {
                throw reader.error(reader.node("max_evidence_age_hours"), key: "max_evidence_age_hours", "must be a positive number of hours")
            }
            config.maxEvidenceAgeHours = hours
        }
        config.fixtures = try reader.bool("fixtures") ?? false
        config.approvals = try reader.string("approvals")
        config.driftGates = try reader.strings("drift_gates") ?? []
        if let registries = try reader.mapping("registries") {
            config.registries.models = try registries.string("models")
            config.registries.datasets = try registries.string("datasets")
            config.registries.dvc = try registries.strings("dvc") ?? []
            try registries.finish()
        }
        if let live = try reader.mapping("live") {
            guard let command = try live.strings("command"), !command.isEmpty else {
                throw live.error(nil, key: "command", "required: the argv that starts the service, as a list ({port}, {root}, {evidence} substituted)")
            }
            var spec = Configuration.Live(command: command)
            spec.url = try live.string("url") ?? spec.url
            spec.readyPath = try live.string("ready_path") ?? spec.readyPath
            spec.requestPath = try live.string("request_path") ?? spec.requestPath
            spec.body = try live.string("body") ?? spec.body
            spec.environment = try live.stringMap("environment") ?? [:]
            spec.always = try live.bool("always") ?? false
            for (key, keyPath) in [("window_seconds", \Configuration.Live.windowSeconds), ("warmup_seconds", \.warmupSeconds),
                                   ("startup_timeout_seconds", \.startupTimeoutSeconds), ("capacity_step_seconds", \.capacityStepSeconds)] {
                if let value = try live.double(key) {
                    guard value.isFinite, value >= 0, value <= 3600 else { throw live.error(live.node(key), key: key, "must be 0–3600 seconds") }
                    spec[keyPath: keyPath] = value
                }
            }
            guard spec.windowSeconds >= 5 else { throw live.error(live.node("window_seconds"), key: "window_seconds", "must be at least 5 seconds") }
            spec.traces = try live.string("traces")
            spec.seed = UInt64(max(0, try live.int("seed") ?? 1))
            if let keep = try live.int("keep_runs") {
                guard (1...10_000).contains(keep) else { throw live.error(live.node("keep_runs"), key: "keep_runs", "must be 1–10000 runs") }
                spec.keepRuns = keep
            }
            config.live = spec
            try live.finish()
        }
        if let inference = try reader.mapping("inference") {
            guard let command = try inference.strings("command"), !command.isEmpty else {
                throw inference.error(nil, key: "command", "required: the argv of the inference command, as a list")
            }
            let seed = try inference.int("seed") ?? 42
            guard seed >= 0 else { throw inference.error(inference.node("seed"), key: "seed", "must be ≥ 0") }
            let timeout = try inference.double("timeout_seconds") ?? 300
            guard timeout > 0 else {
                throw inference.error(inference.node("timeout_seconds"), key: "timeout_seconds", "must be > 0")
            }
            var spec = InferenceCommand(
                command: command, seed: seed, outputs: try inference.strings("outputs") ?? [],
                timeoutSeconds: timeout, environment: try inference.stringMap("environment") ?? [:],
                compareStdout: try inference.bool("compare_stdout") ?? false)
            spec.log = try inference.string("log") ?? spec.log
            spec.ticket = try inference.string("ticket") ?? spec.ticket
            spec.variations = try inference.strings("variations") ?? []
            spec.manifest = try inference.string("manifest")
            let expectedOutputs = try inference.stringMap("expected_outputs") ?? [:]
            for (name, digest) in expectedOutputs where !isSHA256Hex(digest.lowercased().replacingOccurrences(of: "sha256:", with: "")) {
                throw inference.error(nil, key: "expected_outputs.\(name)", "expected 64 hex digits")
            }
            spec.expectedOutputs = expectedOutputs.mapValues { $0.lowercased().replacingOccurrences(of: "sha256:", with: "") }
            let known = ["tz", "locale", "home", "umask", "cwd", "threads", "env-order"]
            if let unknown = spec.variations.firstIndex(where: { !known.contains($0) }) {
                throw try inference.error(
                    inference.list("variations")?[unknown], key: "variations[\(unknown)]",
                    "unknown variation '\(spec.variations[unknown])' (one of: \(known.joined(separator: ", ")))")
            }
            config.inference = spec
            try inference.finish()
        }
        if let latency = try reader.mapping("latency") {
            config.latency = LatencySources(
                logs: try latency.strings("logs") ?? [],
                previousLogs: try latency.strings("previous_logs") ?? [],
                traces: try latency.strings("traces") ?? [],
                stages: try latency.strings("stages") ?? LatencyStages.defaults)
            config.latency?.fields = try latency.stringMap("fields") ?? [:]
            config.latency?.previousTraces = try latency.strings("previous_traces") ?? []
            config.latency?.perfStat = try latency.string("perf_stat")
            config.latency?.loadTests = try latency.strings("load_tests") ?? []
            for server in try latency.mappings("servers") {
                let kinds = ["triton", "vllm", "torchserve"]
                guard let kind = try server.string("kind"), kinds.contains(kind) else {
                    throw server.error(server.node("kind"), key: "kind", "one of: \(kinds.joined(separator: ", "))")
                }
                let scrapes = try server.strings("scrapes") ?? []
                guard (1...2).contains(scrapes.count) else {
                    throw server.error(server.node("scrapes"), key: "scrapes", "one or two captures of the server's /metrics")
                }
                let seconds = try server.double("seconds")
                if scrapes.count == 2, (seconds ?? 0) <= 0 {
                    throw server.error(server.node("seconds"), key: "seconds", "the seconds between the two scrapes, > 0")
                }
                var spec = LatencySources.ServerMetrics(kind: kind, scrapes: scrapes, seconds: seconds, model: try server.string("model"))
                spec.stages = try server.stringMap("stages") ?? [:]
                config.latency?.servers.append(spec)
                try server.finish()
            }
            try latency.finish()
        }
        if let capacity = try reader.mapping("capacity") {
            guard let measurement = try capacity.string("measurement") else {
                throw capacity.error(nil, key: "measurement", "required: capacity.json written by assay capacity measure")
            }
            let current = try capacity.double("current_rps")
            if let current, current <= 0 {
                throw capacity.error(capacity.node("current_rps"), key: "current_rps", "must be > 0")
            }
            config.capacity = Configuration.Capacity(measurement: measurement, currentRPS: current)
            try capacity.finish()
        }
        if let telemetry = try reader.mapping("telemetry") {
            let interval = try telemetry.double("sample_interval_seconds") ?? 1
            guard interval > 0 else {
                throw telemetry.error(
                    telemetry.node("sample_interval_seconds"), key: "sample_interval_seconds", "must be > 0")
            }
            config.telemetry = Configuration.Telemetry(
                files: try telemetry.strings("files") ?? [], sampleIntervalSeconds: interval)
            config.telemetry?.uptimeLogs = try telemetry.strings("uptime_logs") ?? []
            if let hours = try telemetry.double("agent_hours") {
                guard hours > 0 else { throw telemetry.error(telemetry.node("agent_hours"), key: "agent_hours", "must be > 0") }
                config.telemetry?.agentHours = hours
            }
            try telemetry.finish()
        }
        config.uptime = try reader.mappings("uptime").map { item in
            guard let url = try item.string("url") else { throw item.error(nil, key: "url", "required") }
            let interval = try item.double("interval_seconds") ?? 30
            let timeout = try item.double("timeout_seconds") ?? 5
            guard interval > 0 else { throw item.error(item.node("interval_seconds"), key: "interval_seconds", "must be > 0") }
            guard timeout > 0, timeout <= interval else {
                throw item.error(item.node("timeout_seconds"), key: "timeout_seconds", "must be > 0 and ≤ interval_seconds")
            }
            let target = Configuration.UptimeTarget(
                name: try item.string("name") ?? url, url: url, intervalSeconds: interval, timeoutSeconds: timeout)
            try item.finish()
            return target
        }
        try reader.finish()
    }

    static func readStore(_ reader: YAMLReader) throws -> Configuration.Store {
        var store = Configuration.Store()
        if let kind = try reader.string("kind") {
            guard let parsed = Configuration.Store.Kind(rawValue: kind) else {
                throw reader.error(reader.node("kind"), key: "kind", "unknown store '\(kind)' (one of: sqlite, postgres)")
            }
            store.kind = parsed
        }
        store.path = try reader.string("path") ?? store.path
        store.url = try reader.string("url")
        if store.kind == .postgres, store.url == nil {
            throw reader.error(nil, key: "url", "required when kind is postgres")
        }
        try reader.finish()
        return store
    }

    static func readIntegrations(_ reader: YAMLReader) throws -> Configuration.Integrations {
        var integrations = Configuration.Integrations()
        func absoluteURL(_ sub: YAMLReader, _ key: String) throws -> String? {
            let value = try sub.string(key)
            if let value, URL(string: value)?.scheme == nil {
                throw sub.error(sub.node(key), key: key, "expected an absolute URL such as http://127.0.0.1:5000")
            }
            return value
        }
        func url(_ section: String, _ key: String) throws -> String? {
            guard let sub = try reader.mapping(section) else { return nil }
            let value = try absoluteURL(sub, key)
            try sub.finish()
            return value
        }
        if let sub = try reader.mapping("mlflow") {
            guard let uri = try absoluteURL(sub, "tracking_uri") else {
                throw sub.error(nil, key: "tracking_uri", "required: the tracking server's URL")
            }
            var mlflow = Configuration.MLflow(trackingURI: uri)
            mlflow.experiment = try sub.string("experiment") ?? mlflow.experiment
            mlflow.logAudits = try sub.bool("log_audits") ?? false
            mlflow.verifyRuns = try sub.strings("verify_runs") ?? []
            mlflow.models = try sub.mappings("models").map { item in
                guard let uri = try item.string("uri"), uri.hasPrefix("models:/") else {
                    throw item.error(item.node("uri"), key: "uri", "required: models:/name@alias or models:/name/version")
                }
                guard let path = try item.string("path") else { throw item.error(nil, key: "path", "required: the deployed file or directory") }
                try item.finish()
                return Configuration.MLflow.ModelReference(uri: uri, path: path)
            }
            if let expected = try sub.mapping("expected") {
                mlflow.expectedGitCommit = try expected.string("git_commit")
                let artifacts = try expected.stringMap("artifacts") ?? [:]
                for (path, digest) in artifacts where !isSHA256Hex(digest.lowercased().replacingOccurrences(of: "sha256:", with: "")) {
                    throw expected.error(nil, key: "artifacts.\(path)", "expected 64 hex digits")
                }
                mlflow.expectedArtifacts = artifacts.mapValues { $0.lowercased().replacingOccurrences(of: "sha256:", with: "") }
                try expected.finish()
            }
            try sub.finish()
            integrations.mlflow = mlflow
        }
        if let sub = try reader.mapping("prometheus") {
            integrations.prometheusURL = try absoluteURL(sub, "url")
            if let text = try sub.string("scrape_interval") {
                guard let seconds = durationSeconds(text) else {
                    throw sub.error(sub.node("scrape_interval"), key: "scrape_interval", "a duration such as 15s, 1m or 60")
                }
                integrations.prometheusScrapeInterval = seconds
            }
            try sub.finish()
        }
        integrations.alertmanagerURL = try url("alertmanager", "url")
        integrations.webhooks = try reader.strings("webhooks") ?? []
        try reader.finish()
        return integrations
    }

    static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// "90s", "15m", "24h", "7d", "1w" or plain seconds, as `assay.yaml` and the command line take a duration; nil
/// unless positive and finite.
public func durationSeconds(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
    let seconds: Double?
    if let unit = text.last, let scale = units[unit], let value = Double(text.dropLast()) {
        seconds = value * scale
    } else {
        seconds = Double(text)
    }
    return seconds.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
}
