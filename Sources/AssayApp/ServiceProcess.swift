import AssayAudit
import AssayCore
import AssayIntegrations
import AssayReproducibility
import Foundation
import Synchronization

/// A service Assay started for a live audit: in a process group of its own (Foundation starts every child as the
/// leader of a new group, so its workers go with it), its output in a log file, stopped with SIGTERM then
/// SIGKILL, and also when Assay itself gets SIGINT or SIGTERM.
final class ServiceProcess: Sendable {
    let pid: Int32
    let command: String
    private let process: Mutex<Process?>

    /// Process groups to end if Assay is interrupted.
    private static let running = Mutex<Set<Int32>>([])

    private init(process: Process, command: String) {
        pid = process.processIdentifier
        self.command = command
        self.process = Mutex(process)
    }

    static func start(_ argv: [String], environment: [String: String], directory: String, log: String) throws -> ServiceProcess {
        installSignalHandlers()
        FileManager.default.createFile(atPath: log, contents: nil)
        guard let output = FileHandle(forWritingAtPath: log) else { throw AppError("cannot write \(log)", code: ExitStatus.cannotWrite) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandRunner.resolveExecutable(argv[0], environment: ProcessInfo.processInfo.environment))
        process.arguments = Array(argv.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            throw AppError("cannot start the service \(argv.joined(separator: " ")): \(error.localizedDescription)", code: ExitStatus.unavailable)
        }
        let service = ServiceProcess(process: process, command: argv.joined(separator: " "))
        running.withLock { _ = $0.insert(service.pid) }
        InterruptedGroups.add(service.pid)
        return service
    }

    /// Throws (exit 69) when the service has exited.
    func checkRunning() async throws {
        let exited = process.withLock { process -> Int32? in
            guard let process, !process.isRunning else { return nil }
            return process.terminationStatus
        }
        if let exited {
            Self.running.withLock { _ = $0.remove(pid) }
            throw AppError("the service exited with status \(exited) during the live audit (\(command))", code: ExitStatus.unavailable)
        }
    }

    /// SIGTERM to the group, SIGKILL after 10 s; returns once the service has exited.
    func stop() async throws {
        guard let process = process.withLock({ $0 }) else { return }
        if process.isRunning {
            kill(-pid, SIGTERM)
            for _ in 0..<100 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
            if process.isRunning { kill(-pid, SIGKILL) }
            process.waitUntilExit()
        }
        // Whatever the leader left behind in its group goes too.
        kill(-pid, SIGKILL)
        Self.running.withLock { _ = $0.remove(pid) }
        InterruptedGroups.remove(pid)
        self.process.withLock { $0 = nil }
    }

    /// On SIGINT or SIGTERM, every started service's group is ended and Assay exits 130 or 143. A handler, not
    /// SIG_IGN: an ignored signal stays ignored in the children, and the service would never hear its own SIGTERM.
    private static func installSignalHandlers() {
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signalNumber in
                InterruptedGroups.killAll()
                let message = "assay: interrupted; stopped the service it started\n"
                _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
                _exit(128 + signalNumber)
            }
            sigaction(signalNumber, &action, nil)
        }
    }
}

/// The process groups a signal handler may end: a fixed table of atomics, safe to read inside a handler.
enum InterruptedGroups {
    final class Slot: Sendable {
        let group = Atomic<Int32>(0)
    }

    private static let slots = (0..<16).map { _ in Slot() }

    static func add(_ group: Int32) {
        for slot in slots where slot.group.compareExchange(expected: 0, desired: group, ordering: .sequentiallyConsistent).exchanged { return }
    }

    static func remove(_ group: Int32) {
        for slot in slots { _ = slot.group.compareExchange(expected: group, desired: 0, ordering: .sequentiallyConsistent) }
    }

    static func killAll() {
        for slot in slots {
            let group = slot.group.load(ordering: .sequentiallyConsistent)
            if group > 0 { kill(-group, SIGKILL) }
        }
    }
}

/// The service process's CPU and resident memory, once a second, from /proc.
struct ProcessSample: Sendable {
    var at: Date
    var cpuSeconds: Double
    var rssMiB: Double

    static func record(pid: Int32?, seconds: Double) async -> [ProcessSample] {
        guard let pid else { return [] }
        var samples: [ProcessSample] = []
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let cpu = OpenLoopLoad.cpuSeconds(pid) { samples.append(ProcessSample(at: Date(), cpuSeconds: cpu, rssMiB: rssMiB(pid) ?? 0)) }
            try? await Task.sleep(for: .seconds(1))
        }
        return samples
    }

    static func rssMiB(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kib / 1024
    }

    /// This process's user and system CPU seconds so far.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func lines(_ samples: [ProcessSample]) -> String {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return samples.map { "{\"ts\":\"\(style.format($0.at))\",\"cpu_seconds\":\(String(format: "%.3f", $0.cpuSeconds)),\"rss_mib\":\(String(format: "%.1f", $0.rssMiB))}\n" }.joined()
    }

    /// The window's CPU (mean and P95 of the per-second shares of one core) and resident memory (first, largest,
    /// last); nil with fewer than two samples.
    static func summary(_ samples: [ProcessSample], pid: Int32, cited: String) -> LiveWindowRecord.ServiceProcess? {
        guard let first = samples.first, let last = samples.last, last.at > first.at else { return nil }
        let perSecond = zip(samples, samples.dropFirst()).compactMap { a, b -> Double? in
            let seconds = b.at.timeIntervalSince(a.at)
            return seconds > 0 ? (b.cpuSeconds - a.cpuSeconds) / seconds * 100 : nil
        }
        return LiveWindowRecord.ServiceProcess(
            pid: pid, samples: cited, sampleCount: samples.count,
            cpuMeanPercent: (last.cpuSeconds - first.cpuSeconds) / last.at.timeIntervalSince(first.at) * 100,
            cpuP95Percent: Quantile.type7(sorted: perSecond.sorted(), 0.95) ?? 0, rssFirstMiB: first.rssMiB, rssMaxMiB: samples.map(\.rssMiB).max() ?? 0,
            rssLastMiB: last.rssMiB)
    }
}
