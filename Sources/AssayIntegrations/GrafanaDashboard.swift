import AssayCore
import Foundation

/// A Grafana dashboard for Assay's resource thresholds, ready for provisioning: a Prometheus datasource variable,
/// an instance variable, and panels over node_exporter's series (which `assay agent` also serves), the agent's own
/// `assay_*` series, NVIDIA dcgm-exporter's GPU series and `up`, each threshold drawn as a line. `assay export
/// grafana` writes it; `deploy/grafana/assay-dashboard.json` is the copy with the defaults.
public enum GrafanaDashboard {
    /// One panel: what it shows, its PromQL, its unit and the thresholds drawn on it.
    public struct Panel: Sendable {
        public var title: String
        public var description: String
        public var expressions: [(expr: String, legend: String)]
        public var unit: String
        public var range: ClosedRange<Double>?
        /// Threshold lines, lowest first; `good below` colours them as limits, otherwise as floors (uptime).
        public var thresholds: [Double]
        public var goodBelow = true
    }

    /// The panels, with `$instance` and `$__rate_interval` for Grafana to fill in.
    public static func panels(_ t: AssayCore.Thresholds.Resources) -> [Panel] {
        let instance = #"instance=~"$instance""#
        return [
            Panel(
                title: "CPU utilization (%)", description: "Busy share of all cores; alerts above the CPU threshold and the sustained-load limit.",
                expressions: [(#"100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle", \#(instance)}[$__rate_interval])))"#, "{{instance}}")],
                unit: "percent", range: 0...100, thresholds: [t.cpuPercent, t.sustainedLoadPercent].sorted()),
            Panel(
                title: "Memory in use (%)", description: "MemTotal − MemAvailable, as a share of MemTotal.",
                expressions: [("100 * (1 - node_memory_MemAvailable_bytes{\(instance)} / node_memory_MemTotal_bytes{\(instance)})", "{{instance}}")],
                unit: "percent", range: 0...100, thresholds: [t.memoryPercent]),
            Panel(
                title: "Busiest disk (%util, assay agent)", description: "The busiest disk's %util over the agent's last interval.",
                expressions: [("assay_disk_utilization_percent{\(instance)}", "{{instance}}")], unit: "percent", range: 0...100, thresholds: [90]),
            Panel(
                title: "Sustained-load alert (assay agent)", description: "The agent's alert state: 0 inactive, 1 pending, 2 firing.",
                expressions: [("assay_alert_state{\(instance)}", "{{instance}}")], unit: "none", range: 0...2, thresholds: [2]),
            Panel(
                title: "Uptime over the last hour (%)", description: "Share of the last hour's scrapes that succeeded.",
                expressions: [("100 * avg_over_time(up{\(instance)}[1h])", "{{instance}} {{job}}")], unit: "percent", range: 0...100,
                thresholds: [t.uptimeP95Percent], goodBelow: false),
            Panel(
                title: "GPU utilization (%)", description: "dcgm-exporter's DCGM_FI_DEV_GPU_UTIL per GPU.",
                expressions: [("DCGM_FI_DEV_GPU_UTIL{\(instance)}", "{{Hostname}} GPU {{gpu}}")], unit: "percent", range: 0...100,
                thresholds: [t.gpuPercent]),
            Panel(
                title: "GPU memory in use (%)", description: "Frame buffer used as a share of used + free.",
                expressions: [
                    ("100 * DCGM_FI_DEV_FB_USED{\(instance)} / (DCGM_FI_DEV_FB_USED{\(instance)} + DCGM_FI_DEV_FB_FREE{\(instance)})", "{{Hostname}} GPU {{gpu}}")
                ],
                unit: "percent", range: 0...100, thresholds: []),
            Panel(
                title: "GPU memory growth (% of the memory in use per hour)",
                description: "The slope of frame buffer used over the last hour; a leak grows steadily above the limit.",
                expressions: [("100 * 3600 * deriv(DCGM_FI_DEV_FB_USED{\(instance)}[1h]) / DCGM_FI_DEV_FB_USED{\(instance)}", "{{Hostname}} GPU {{gpu}}")],
                unit: "percent", range: nil, thresholds: [t.gpuMemoryGrowthPercentPerHour]),
            Panel(
                title: "GPU temperature (°C)", description: "dcgm-exporter's DCGM_FI_DEV_GPU_TEMP.",
                expressions: [("DCGM_FI_DEV_GPU_TEMP{\(instance)}", "{{Hostname}} GPU {{gpu}}")], unit: "celsius", range: nil, thresholds: []),
            Panel(
                title: "GPU XID errors (last code)", description: "dcgm-exporter's DCGM_FI_DEV_XID_ERRORS: the last XID error's code, 0 when none.",
                expressions: [("DCGM_FI_DEV_XID_ERRORS{\(instance)}", "{{Hostname}} GPU {{gpu}}")], unit: "none", range: nil, thresholds: []),
        ]
    }

    /// The dashboard JSON for `thresholds`, keys sorted so the same thresholds give the same bytes.
    public static func json(_ thresholds: AssayCore.Thresholds.Resources) throws -> String {
        let source = DataSource(type: "prometheus", uid: "${datasource}")
        let panels = panels(thresholds).enumerated().map { index, panel in
            PanelJSON(
                id: index + 1, title: panel.title, description: panel.description, datasource: source,
                gridPos: GridPosition(h: 8, w: 12, x: index % 2 * 12, y: index / 2 * 8),
                targets: targets(panel, source: source), fieldConfig: fieldConfig(panel))
        }
        let dashboard = Dashboard(
            title: "Assay: fleet resources", uid: "assay-fleet-resources", tags: ["assay"], panels: panels,
            templating: Templating(list: [
                Variable(name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus"),
                Variable(
                    name: "instance", label: "Instance", type: "query", query: "label_values(up, instance)", datasource: source,
                    definition: "label_values(up, instance)", includeAll: true, multi: true, allValue: ".*", refresh: 2),
            ]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(dashboard), as: UTF8.self) + "\n"
    }

    static func targets(_ panel: Panel, source: DataSource) -> [Target] {
        panel.expressions.enumerated().map { number, expression in
            Target(refId: String(UnicodeScalar(UInt8(65 + number))), expr: expression.expr, legendFormat: expression.legend, datasource: source)
        }
    }

    /// Unit, range and the thresholds as lines: limits turn orange then red above; a floor (uptime) is green above.
    static func fieldConfig(_ panel: Panel) -> FieldConfig {
        var steps = [Step(color: panel.goodBelow ? "green" : "red", value: nil)]
        for (position, value) in panel.thresholds.enumerated() {
            let last = position == panel.thresholds.count - 1
            steps.append(Step(color: panel.goodBelow ? (last ? "red" : "orange") : "green", value: value))
        }
        let defaults = Defaults(
            unit: panel.unit, min: panel.range?.lowerBound, max: panel.range?.upperBound,
            thresholds: ThresholdSteps(mode: "absolute", steps: steps),
            custom: Custom(thresholdsStyle: ThresholdsStyle(mode: panel.thresholds.isEmpty ? "off" : "line")))
        return FieldConfig(defaults: defaults)
    }

    struct DataSource: Encodable { var type: String; var uid: String }
    struct GridPosition: Encodable { var h: Int; var w: Int; var x: Int; var y: Int }
    struct Target: Encodable { var refId: String; var expr: String; var legendFormat: String; var datasource: DataSource }
    struct Step: Encodable {
        var color: String
        var value: Double?
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(color, forKey: .color)
            try container.encode(value, forKey: .value)  // null for the base step, as Grafana writes it
        }
        enum CodingKeys: String, CodingKey { case color, value }
    }
    struct ThresholdSteps: Encodable { var mode: String; var steps: [Step] }
    struct ThresholdsStyle: Encodable { var mode: String }
    struct Custom: Encodable { var thresholdsStyle: ThresholdsStyle }
    struct Defaults: Encodable { var unit: String; var min: Double?; var max: Double?; var thresholds: ThresholdSteps; var custom: Custom }
    struct FieldConfig: Encodable {
        var defaults: Defaults
        var overrides: [String] = []
    }
    struct PanelJSON: Encodable {
        var id: Int
        var type = "timeseries"
        var title: String
        var description: String
        var datasource: DataSource
        var gridPos: GridPosition
        var targets: [Target]
        var fieldConfig: FieldConfig

        init(id: Int, title: String, description: String, datasource: DataSource, gridPos: GridPosition, targets: [Target], fieldConfig: FieldConfig) {
            (self.id, self.title, self.description, self.datasource) = (id, title, description, datasource)
            (self.gridPos, self.targets, self.fieldConfig) = (gridPos, targets, fieldConfig)
        }
    }
    struct Variable: Encodable {
        var name: String
        var label: String
        var type: String
        var query: String
        var datasource: DataSource?
        var definition: String?
        var includeAll: Bool?
        var multi: Bool?
        var allValue: String?
        var refresh: Int?
    }
    struct Templating: Encodable { var list: [Variable] }
    struct Dashboard: Encodable {
        var title: String
        var uid: String
        var tags: [String]
        var panels: [PanelJSON]
        var templating: Templating
        var schemaVersion = 39
        var editable = true
        var refresh = "1m"
        var time = ["from": "now-24h", "to": "now"]
        var timezone = "browser"
        var annotations = ["list": [String]()]

        init(title: String, uid: String, tags: [String], panels: [PanelJSON], templating: Templating) {
            (self.title, self.uid, self.tags, self.panels, self.templating) = (title, uid, tags, panels, templating)
        }
    }
}
