import AssayCore
import Foundation

/// How `assay serve` runs: where it listens, what it accepts, and what it reads besides the store.
public struct ServerSettings: Sendable {
    /// Address to bind; 127.0.0.1 unless the user says otherwise.
    public var host = "127.0.0.1"
    public var port = 9470
    /// Refuse every write (ingest and token use), whatever the token.
    public var readOnly = false
    /// Largest request body accepted, in bytes.
    public var maxBodyBytes = 4 << 20
    /// Writes each token may make per minute (a token bucket of this size, refilled evenly).
    public var writesPerMinute = 60
    /// Host names besides the loopback ones and the bound address that requests may name in `Host` ("*": any).
    public var allowedHosts: [String] = []
    /// A connection idle this long, or still sending its request head, is closed.
    public var idleTimeoutSeconds = 30
    /// Open connections at most; fewer when the process may open fewer files (see `connectionLimit()`).
    public var maxConnections = 1024
    /// Bytes the cache of loaded audits and their renderings may hold (an estimate of their size in memory).
    public var runCacheBytes = 24 << 20
    /// A Prometheus that scrapes the fleet's agents or node_exporters, for the fleet view.
    public var prometheusURL: String?
    /// Its scrape interval, seconds, when set (`integrations.prometheus.scrape_interval`); else the targets or samples say.
    public var prometheusScrapeInterval: Double?
    /// Files the server may read on a run's behalf (trace files cited as evidence) must lie under this directory.
    public var workspaceRoot: String
    /// The service name and thresholds reports are rendered with.
    public var service: String
    public var thresholds: Thresholds

    public init(workspaceRoot: String, service: String, thresholds: Thresholds = Thresholds()) {
        self.workspaceRoot = workspaceRoot
        self.service = service
        self.thresholds = thresholds
    }
}

extension ServerSettings {
    /// `maxConnections`, lowered to leave 64 descriptors for the store, files and outgoing requests below the
    /// process's open-file limit (raised to its hard limit first), so an accept never fails for want of one.
    public func connectionLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return min(maxConnections, 192) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let available = Int(clamping: limit.rlim_cur)  // RLIM_INFINITY is UInt64.max, clamped to Int.max
        return max(16, min(maxConnections, available - 64))
    }
}
