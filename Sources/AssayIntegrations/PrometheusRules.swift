import AssayCore
import Foundation

/// Prometheus recording and alerting rules for Assay's thresholds, over the series node_exporter (and `assay
/// agent`, which serves node_exporter's names), dcgm-exporter and `up` provide. `assay export rules` writes them;
/// `deploy/prometheus/assay-rules.yml` is the copy with the defaults.
public enum PrometheusRules {
    /// The rules file for `thresholds`.
    public static func yaml(_ thresholds: Thresholds.Resources) -> String {
        func number(_ value: Double) -> String { Formatting.number(value, digits: value == value.rounded() ? 0 : 2) }
        let sustained = max(1, Int((thresholds.sustainedSeconds / 60).rounded()))
        return """
            # Prometheus rules for Assay's resource thresholds (written by `assay export rules`).
            # Series: node_exporter's (also served by `assay agent`), NVIDIA dcgm-exporter's, and `up`.
            groups:
              - name: assay-recording
                rules:
                  - record: instance:assay_cpu_utilization:percent
                    expr: 100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))
                  - record: instance:assay_memory_utilization:percent
                    expr: 100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)
                  - record: gpu:assay_memory_growth:percent_per_hour
                    expr: 100 * 3600 * deriv(DCGM_FI_DEV_FB_USED[1h]) / DCGM_FI_DEV_FB_USED
              - name: assay-alerts
                rules:
                  - alert: AssayCPUHigh
                    expr: instance:assay_cpu_utilization:percent > \(number(thresholds.cpuPercent))
                    for: 10m
                    labels: {severity: warning}
                    annotations: {summary: "CPU above \(number(thresholds.cpuPercent))% on {{ $labels.instance }}"}
                  - alert: AssaySustainedCPULoad
                    expr: instance:assay_cpu_utilization:percent > \(number(thresholds.sustainedLoadPercent))
                    for: \(sustained)m
                    labels: {severity: critical}
                    annotations: {summary: "CPU above \(number(thresholds.sustainedLoadPercent))% for \(sustained) minutes on {{ $labels.instance }}: no headroom"}
                  - alert: AssayMemoryHigh
                    expr: instance:assay_memory_utilization:percent > \(number(thresholds.memoryPercent))
                    for: 10m
                    labels: {severity: warning}
                    annotations: {summary: "memory above \(number(thresholds.memoryPercent))% on {{ $labels.instance }}"}
                  - alert: AssayGPUUtilizationHigh
                    expr: DCGM_FI_DEV_GPU_UTIL > \(number(thresholds.gpuPercent))
                    for: 10m
                    labels: {severity: warning}
                    annotations: {summary: "GPU {{ $labels.gpu }} above \(number(thresholds.gpuPercent))% on {{ $labels.Hostname }}"}
                  - alert: AssayGPUMemoryGrowth
                    expr: gpu:assay_memory_growth:percent_per_hour > \(number(thresholds.gpuMemoryGrowthPercentPerHour))
                    for: 30m
                    labels: {severity: critical}
                    annotations: {summary: "GPU {{ $labels.gpu }} memory in use growing more than \(number(thresholds.gpuMemoryGrowthPercentPerHour))% an hour on {{ $labels.Hostname }}: a leak"}
                  - alert: AssayUptimeLow
                    expr: 100 * avg_over_time(up[1h]) < \(number(thresholds.uptimeP95Percent))
                    labels: {severity: warning}
                    annotations: {summary: "{{ $labels.instance }} up less than \(number(thresholds.uptimeP95Percent))% of the last hour"}

            """
    }
}
