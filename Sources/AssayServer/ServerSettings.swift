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
    /// A Prometheus that scrapes the fleet's agents or node_exporters, for the fleet view.
    public var prometheusURL: String?
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
