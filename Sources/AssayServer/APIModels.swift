import AssayBaseline
import AssayCore
import AssayStore
import Foundation

/// Wire shapes of the REST API (snake_case, ISO-8601 dates); `Resources/openapi.json` documents each.
enum API {
    struct RunList: Encodable {
        var runs: [RunSummary]
    }

    struct FindingRow: Encodable {
        var layer: String
        var table: String
        var check: String
        var status: String
        var observed: String
        var expected: String?
        var severity: String
        var evidence: [Evidence]
    }

    struct MetricNames: Encodable {
        var metrics: [String]
    }

    struct MetricPointBody: Codable {
        var metric: String
        var value: Double
        var recordedAt: Date
        var runID: String
        var environmentDigest: String?
        var gitCommit: String?

        enum CodingKeys: String, CodingKey {
            case metric, value
            case recordedAt = "recorded_at"
            case runID = "run_id"
            case environmentDigest = "environment_digest"
            case gitCommit = "git_commit"
        }

        init(_ point: MetricPoint) {
            metric = point.metric
            value = point.value
            recordedAt = point.recordedAt
            runID = point.runID
            environmentDigest = point.environmentDigest
            gitCommit = point.gitCommit
        }

        var point: MetricPoint {
            MetricPoint(
                metric: metric, value: value, recordedAt: recordedAt, runID: runID, environmentDigest: environmentDigest, gitCommit: gitCommit)
        }
    }

    struct MetricIngest: Codable {
        var points: [MetricPointBody]
    }

    /// A metric over time with the rolling baseline each point was judged against and the confirmed change points.
    struct MetricSeries: Encodable {
        struct Band: Encodable {
            var t: Date
            var mean: Double
            var low: Double
            var high: Double
        }

        struct Change: Encodable {
            var t: Date
            var meanBefore: Double
            var meanAfter: Double
            var pValue: Double

            enum CodingKeys: String, CodingKey {
                case t
                case meanBefore = "mean_before"
                case meanAfter = "mean_after"
                case pValue = "p_value"
            }
        }

        var metric: String
        var windowDays: Double
        var points: [MetricPointBody]
        var baseline: [Band]
        var changePoints: [Change]

        enum CodingKeys: String, CodingKey {
            case metric, points, baseline
            case windowDays = "window_days"
            case changePoints = "change_points"
        }

        init(metric: String, points: [MetricPoint], windowDays: Double, thresholds: Thresholds.Baseline) {
            self.metric = metric
            self.windowDays = windowDays
            self.points = points.map(MetricPointBody.init)
            var bands: [Band] = []
            var start = 0
            for (index, point) in points.enumerated() {
                while start < index, point.recordedAt.timeIntervalSince(points[start].recordedAt) > windowDays * 86_400 { start += 1 }
                let window = points[start..<index].map(\.value)
                if window.count >= thresholds.minRuns, let band = BaselineAnalyzer.baseline(window) {
                    bands.append(Band(t: point.recordedAt, mean: band.mean, low: band.low, high: band.high))
                }
            }
            baseline = bands
            changePoints = LevelShiftDetector(minimumSegment: thresholds.changePointWindow).changePoints(
                points.map(\.value), times: points.map(\.recordedAt), maxPValue: thresholds.changePointMaxPValue
            ).map {
                Change(t: points[$0.index].recordedAt, meanBefore: $0.meanBefore, meanAfter: $0.meanAfter, pValue: $0.pValue)
            }
        }
    }

    struct Host: Encodable {
        var host: String
        var sources: [String]
        var lastRunID: String?
        var lastRunAt: Date?
        var verdict: Verdict?
        var runs: Int
        /// Prometheus targets on this host and whether their last scrape succeeded.
        var targets: [Target]
        var status: String

        struct Target: Encodable {
            var instance: String
            var job: String?
            var up: Bool
        }

        enum CodingKeys: String, CodingKey {
            case host, sources, verdict, runs, targets, status
            case lastRunID = "last_run_id"
            case lastRunAt = "last_run_at"
        }
    }

    struct HostList: Encodable {
        var hosts: [Host]
        /// Set when Prometheus was configured but could not be read.
        var prometheusError: String?

        enum CodingKeys: String, CodingKey {
            case hosts
            case prometheusError = "prometheus_error"
        }
    }

    struct ReproEntry: Encodable {
        var id: String
        var recordedAt: Date
        var seed: Int
        var reproducible: Bool
        var entry: JSONValue?

        enum CodingKeys: String, CodingKey {
            case id, seed, reproducible, entry
            case recordedAt = "recorded_at"
        }
    }

    struct Created: Encodable {
        var id: String
        var url: String
    }

    struct Accepted: Encodable {
        var accepted: Int
    }

    /// A pushed audit, and the environment state it ran in when the body carries one (`assay push` sends it as
    /// the member `environment_state`), read in one pass over the body.
    struct PushedRun: Decodable {
        var run: AuditRun
        var environmentState: EnvironmentState?

        enum CodingKeys: String, CodingKey {
            case environmentState = "environment_state"
        }

        init(from decoder: any Decoder) throws {
            run = try AuditRun(from: decoder)
            environmentState = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(EnvironmentState.self, forKey: .environmentState)
        }
    }
}
