import AssayConfig
import AssayCore
import AssayIntegrations
import AssayTelemetry
import Foundation

/// `assay uptime`: probes appended to a log, and availability judged from one.
public enum UptimeUseCases {
    /// Probes every configured target at its interval for `duration` seconds (forever when nil), one line per probe.
    public static func probe(output: String, duration: Double?, configuration: Configuration) async throws -> Lines {
        guard !configuration.uptime.isEmpty else { throw AppError("no targets: configure workspace.uptime", code: ExitStatus.usage) }
        let path = absolutePath(output)
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw AppError("\(output): cannot open for appending", code: ExitStatus.cannotWrite)
        }
        let log = AppendOnlyLog(handle: handle)
        let deadline = duration.map { Date().addingTimeInterval($0) }
        await withTaskGroup(of: Void.self) { group in
            for target in configuration.uptime {
                group.addTask {
                    while deadline.map({ Date() < $0 }) ?? true {
                        let started = Date()
                        await log.append(await UptimeProber.probe(target, now: started).line)
                        let next = started.addingTimeInterval(target.intervalSeconds)
                        let wait = min(next, deadline ?? next).timeIntervalSinceNow
                        if wait > 0 { try? await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
                    }
                }
            }
        }
        await log.close()
        return Lines([])
    }

    /// Availability per target; exits 1 when a target's p95 of windows is below resources.uptime_p95_percent.
    public static func analyze(_ file: String, windowSeconds: Double, configuration: Configuration) throws -> UptimeOutput {
        try requireFile(file)
        return UptimeOutput(
            summaries: UptimeSummary.summaries(try UptimeLog.read(path: absolutePath(file), displayPath: file), windowSeconds: windowSeconds),
            floorPercent: configuration.thresholds.resources.uptimeP95Percent)
    }
}

public struct UptimeOutput: CommandOutput {
    public var summaries: [UptimeSummary]
    public var floorPercent: Double

    public var exitCode: Int32 { summaries.allSatisfy { $0.p95Percent >= floorPercent } ? 0 : 1 }

    enum CodingKeys: String, CodingKey { case summaries, floorPercent = "floor_percent" }

    public func text() -> String {
        summaries.map {
            "\($0.target): p95 \(Formatting.percent($0.p95Percent, digits: 2)) over \($0.windows) windows, overall \(Formatting.percent($0.availabilityPercent, digits: 2)) of \($0.probes) probes \($0.p95Percent >= floorPercent ? "≥" : "<") \(Formatting.percent(floorPercent, digits: 0))"
        }.joined(separator: "\n")
    }

    public func markdown() -> String {
        MarkdownTable(
            ["Target", "p95 of windows", "Windows", "Overall", "Probes", "Floor"],
            rows: summaries.map {
                [$0.target, Formatting.percent($0.p95Percent, digits: 2), String($0.windows), Formatting.percent($0.availabilityPercent, digits: 2),
                 String($0.probes), Formatting.percent(floorPercent, digits: 0)]
            }
        ).text
    }
}

/// Appends lines to a file from concurrent probes, one writer at a time.
actor AppendOnlyLog {
    private let handle: FileHandle

    init(handle: FileHandle) {
        self.handle = handle
        handle.seekToEndOfFile()
    }

    func append(_ line: String) {
        handle.write(Data(line.utf8))
    }

    func close() {
        try? handle.synchronize()
        try? handle.close()
    }
}
