import AssayConfig
import AssayCore
import AssayIntegrations
import Foundation

/// `assay export`: Assay's thresholds for the tools teams already run.
public enum ExportUseCases {
    /// The Prometheus rules for the configuration's thresholds, written to `output`, or returned as text.
    public static func rules(_ configuration: Configuration, output: String?) throws -> Lines {
        try emit(
            PrometheusRules.yaml(configuration.thresholds.resources), to: output,
            what: "Prometheus recording and alerting rules (check with promtool check rules \(output ?? ""))")
    }

    /// The Grafana dashboard for the configuration's thresholds, written to `output`, or returned as text.
    public static func grafana(_ configuration: Configuration, output: String?) throws -> Lines {
        try emit(
            try GrafanaDashboard.json(configuration.thresholds.resources), to: output,
            what: "Grafana dashboard (import it, or provision it with a Prometheus datasource)")
    }

    /// `text` written atomically to `output` with a line saying so, or the text itself without one.
    static func emit(_ text: String, to output: String?, what: String) throws -> Lines {
        guard let output else { return Lines([text]) }
        try AtomicFile.write(Array(text.utf8), to: absolutePath(output))
        return Lines(["Wrote \(output): \(what)"])
    }
}
