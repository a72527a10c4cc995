import AssayCore
import AssayTelemetry
import Foundation
import AssayTestSupport
import Testing

@Suite struct ProcParserTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: try TestFiles.fixture("proc/" + name, in: .module))))
    }

    @Test func realProcFilesFromALinuxVM() throws {
        let cpu = try #require(ProcParsers.cpu(try Self.fixture("stat")))
        #expect(cpu == ProcParsers.CPUTimes(user: 23026, nice: 0, system: 8377, idle: 27332, iowait: 210, irq: 0, softirq: 116, steal: 146))
        let memory = try #require(ProcParsers.memory(try Self.fixture("meminfo")))
        #expect(memory.totalKiB == 24_684_096 && memory.availableKiB == 23_664_896)
        let disks = ProcParsers.disks(try Self.fixture("diskstats"))
        #expect(disks["vda"] == ProcParsers.DiskCounters(readSectors: 4_644_978, writtenSectors: 11_799_192, ioTicksMilliseconds: 11_652))
        #expect(disks.keys.allSatisfy { !$0.hasPrefix("loop") && !$0.hasPrefix("zram") })
        #expect(ProcParsers.network(try Self.fixture("net_dev"))["lo"] == nil)
        #expect(ProcParsers.load1(try Self.fixture("loadavg")) == 5.94)
        #expect(ProcParsers.pressureSomeAvg10(try Self.fixture("pressure/cpu")) == 85.16)
    }

    @Test func absentFieldsAreAbsentNotZero() {
        #expect(ProcParsers.memory(Array("MemTotal: 100 kB\n".utf8)) == nil)
        #expect(ProcParsers.cpu(Array("intr 1 2 3\n".utf8)) == nil)
        #expect(ProcParsers.pressureSomeAvg10([]) == nil)
    }

    @Test func samplerReadsAProcLikeDirectoryAndTheLiveHost() throws {
        let root = try TestFiles.fixture("proc", in: .module)
        let fixed = HostSampler(root: root).sample()
        #expect(fixed.cpu?.user == 23026)
        #expect(fixed.load1 == 5.94)
        let live = HostSampler()
        let a = live.sample()
        var x = 0.0
        for i in 0..<2_000_000 { x += Double(i).squareRoot() }
        #expect(x > 0)
        let b = live.sample()
        let point = try #require(ResourcePoint(from: a, to: b))
        #expect((0...100).contains(point.cpuPercent ?? -1))
        #expect((0...100).contains(point.memoryPercent ?? -1))
    }
}

@Suite struct ResourceAnalyzerTests {
    static let evidence = Evidence(path: "telemetry.jsonl", sha256: String(repeating: "a", count: 64))
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func points(_ cpu: [Double], memory: Double = 40, interval: Double = 1) -> [ResourcePoint] {
        cpu.enumerated().map { index, value in
            ResourcePoint(
                time: Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * interval), intervalSeconds: interval,
                cpuPercent: value, memoryPercent: memory, diskReadMegabytesPerSecond: 1, diskWriteMegabytesPerSecond: 2, diskUtilPercent: 5)
        }
    }

    func finding(_ findings: [Finding], _ check: String) throws -> Finding {
        try #require(findings.first { $0.check == check })
    }

    @Test func quietHostIsHealthy() throws {
        let findings = ResourceAnalyzer(thresholds: Thresholds().resources).findings(Self.points(Array(repeating: 30, count: 120)), evidence: Self.evidence)
        #expect(findings.filter { ![.pass, .notJudged].contains($0.status) }.isEmpty)  // memory growth: not judged over 2 min
        #expect(try finding(findings, "CPU Utilization (%)").observed == "30.0%")
        #expect(try finding(findings, "Disk I/O (MB/s)").observed == "3.00 MB/s")  // three significant figures, as the baseline table shows it
    }

    @Test func breachSpikeAndSustainedLoadAreFound() throws {
        let cpu = Array(repeating: 20.0, count: 30) + [85] + Array(repeating: 92.0, count: 200)
        let findings = ResourceAnalyzer(thresholds: Thresholds().resources).findings(Self.points(cpu), evidence: Self.evidence)
        #expect(try finding(findings, "CPU Utilization (%)").status == .breach)
        let spike = try finding(findings, "CPU Spike")
        #expect(spike.status == .watch)
        #expect(spike.measurements["spikes"] == 1)
        let sustained = try finding(findings, "Sustained Load")
        #expect(sustained.status == .breach)
        #expect(sustained.measurements["longest_seconds"] == 200)  // 85% is not above the 85% limit
        // Every finding with occurrences carries them as events, with their kind and times: the spike, the one
        // sustained episode (200 s from the first sample at 92%), and the breach of the utilization limit (80%).
        // Four minutes are too short for this host's normal: the seed's rule judges alone, and `expected` is not set.
        #expect(spike.events.map(\.kind) == ["spike"] && spike.events.first?.expected == nil)
        let episode = try #require(sustained.events.first)
        #expect(sustained.events.count == 1 && episode.kind == "sustained" && episode.durationSeconds == 200 && episode.peak == 92, "\(sustained.events)")
        #expect(sustained.observed == "CPU ≥ 85% for 3 min; 1 episode of 3 min or more, first \(episode.start.formatted(.iso8601))", "\(sustained.observed)")
        let breach = try #require(try finding(findings, "CPU Utilization (%)").events.first)
        #expect(breach.kind == "breach" && breach.peak == 92 && breach.durationSeconds == 201, "\(breach)")
    }

    /// A trend is claimed only when the robust slope is significant: one burst is not a trend, a steady rise is; and
    /// only over ten minutes or more: over two minutes the same rise is "—" with its window.
    @Test func oneBurstIsNotATrend() throws {
        var burst = Self.points(Array(repeating: 20.0, count: 120), interval: 5)
        burst[60].diskReadMegabytesPerSecond = 400
        let findings = ResourceAnalyzer(thresholds: Thresholds().resources).findings(burst, evidence: Self.evidence)
        #expect(try finding(findings, "Disk I/O (MB/s)").attributes["trend"] == "Stable")
        let rising = Self.points((0..<120).map { 20 + Double($0) / 10 }, interval: 5)
        let trend = try finding(ResourceAnalyzer(thresholds: Thresholds().resources).findings(rising, evidence: Self.evidence), "CPU Utilization (%)")
        #expect(trend.attributes["trend"] == "+11.9 points over 10 min")
        let short = try finding(
            ResourceAnalyzer(thresholds: Thresholds().resources).findings(Self.points((0..<120).map { 20 + Double($0) / 10 }), evidence: Self.evidence),
            "CPU Utilization (%)")
        #expect(short.attributes["trend"] == "—, window 2 min")
    }

    /// Known truth for the spike detector: a one-sample blip is not a spike (persistence), a sustained jump over the
    /// recent median is exactly one event, and a rise to a low level is one unless a floor is set.
    @Test func spikesNeedPersistenceAndAnOptionalFloor() throws {
        let blip = Array(repeating: 20.0, count: 20) + [90] + Array(repeating: 20.0, count: 20)
        let low = Array(repeating: 2.0, count: 20) + Array(repeating: 30.0, count: 20)
        let jump = Array(repeating: 20.0, count: 20) + Array(repeating: 75.0, count: 5) + Array(repeating: 20.0, count: 20)
        var t = Thresholds().resources
        func spikes(_ cpu: [Double]) throws -> Double? {
            try finding(ResourceAnalyzer(thresholds: t).findings(Self.points(cpu), evidence: Self.evidence), "CPU Spike").measurements["spikes"]
        }
        #expect(try spikes(blip) == 0)
        #expect(try spikes(low) == 1)
        #expect(try spikes(jump) == 1)
        t.spikeFloorPercent = 50
        #expect(try spikes(low) == 0)
        #expect(try spikes(jump) == 1)
    }

    /// The defect users met: twenty minutes of a quiet 2-core host at 1 Hz with ten bursts of +35 points for 20 s
    /// each. Every burst is one event with its start, end, peak and rise; the row gives the count, the worst, the
    /// first and the last.
    @Test func tenBurstsOnAQuietHostAreTenSpikes() throws {
        var generator = SplitMix64(seed: 7)
        let starts = (0..<10).map { 60 + $0 * 110 }
        let cpu = (0..<1200).map { second -> Double in
            let noise = Double(generator.next() % 300) / 100
            return 2 + noise + (starts.contains { second >= $0 && second < $0 + 20 } ? 35 : 0)
        }
        let finding = try finding(ResourceAnalyzer(thresholds: Thresholds().resources).findings(Self.points(cpu), evidence: Self.evidence), "CPU Spike")
        #expect(finding.status == .watch)
        #expect(finding.measurements["spikes"] == 10)
        #expect(finding.events.count == 10)
        for (event, start) in zip(finding.events, starts) {
            #expect(abs(event.start.timeIntervalSince(Self.start.addingTimeInterval(Double(start)))) <= 1)
            #expect(abs(event.durationSeconds - 20) <= 1)
            #expect((event.rise ?? 0) > 30 && (event.peak ?? 0) >= 37)
        }
        #expect(finding.observed.hasPrefix("10 spikes; worst +"))
        #expect(finding.observed.contains("; first ") && finding.observed.contains(", last "))
    }

    static func gpuPoints(hours: Double, every seconds: Double = 60, usedMiB: (Double) -> Double) -> [ResourcePoint] {
        (0...Int(hours * 3600 / seconds)).map { step in
            let t = Double(step) * seconds
            var point = ResourcePoint(time: start.addingTimeInterval(t), intervalSeconds: seconds, cpuPercent: 10, memoryPercent: 30)
            point.attach([GPUReading(index: 0, utilizationPercent: 80, memoryUsedMiB: usedMiB(t / 3600), memoryTotalMiB: 81_920)])
            return point
        }
    }

    /// The leak users met: 30 GiB in use growing 6% an hour (1.8 GiB/h) on an 80 GiB card is flagged, in %/h of the
    /// memory in use and MiB/h, with a time to exhaustion and its range; a warm-up that plateaus is not.
    @Test func aSixPercentPerHourLeakIsFlaggedWithItsTimeToExhaustion() throws {
        let t = Thresholds().resources
        var generator = SplitMix64(seed: 3)
        let leak = Self.gpuPoints(hours: 3) { 30_720 * (1 + 0.06 * $0) + Double(generator.next() % 200) - 100 }
        let growth = try finding(ResourceAnalyzer(thresholds: t).findings(leak, evidence: Self.evidence), "GPU Memory Growth")
        #expect(growth.status == .breach)
        #expect(abs((growth.measurements["per_hour"] ?? 0) - 1843) < 60)
        let percent = try #require(growth.measurements["percent_per_hour"])
        #expect(percent > 5.2 && percent < 6)
        let hours = try #require(growth.measurements["hours_to_exhaustion"])
        #expect(hours > 20 && hours < 30)
        #expect(growth.observed.contains("%/h of the memory in use") && growth.observed.contains("MiB/h"))
        #expect(growth.observed.contains("GPU 0 runs out of memory in"))

        let plateau = Self.gpuPoints(hours: 3) { hour in min(30_720, 30_720 * hour / 0.75) + Double(generator.next() % 200) }
        let settled = try finding(ResourceAnalyzer(thresholds: t).findings(plateau, evidence: Self.evidence), "GPU Memory Growth")
        #expect(settled.status == .pass, "\(settled.observed)")

        let slow = Self.gpuPoints(hours: 3) { 30_720 * (1 + 0.02 * $0) }
        #expect(try finding(ResourceAnalyzer(thresholds: t).findings(slow, evidence: Self.evidence), "GPU Memory Growth").status == .pass)
    }

    /// Less than an hour of growth is not judged, and says so.
    @Test func shortRecordingsSayGrowthIsNotJudged() throws {
        let short = Self.gpuPoints(hours: 0.5) { 30_720 * (1 + 0.5 * $0) }
        let growth = try finding(ResourceAnalyzer(thresholds: Thresholds().resources).findings(short, evidence: Self.evidence), "GPU Memory Growth")
        // Not judged is its own status, never a pass, and no rate per hour is extrapolated from half an hour.
        #expect(growth.status == .notJudged && growth.observed == "not judged: 27 min past the warm-up, 1 h needed", "\(growth.observed)")
        #expect(growth.measurements["percent_per_hour"] == nil)
        // A log with no memory readings at all says so: not measured, not "too few samples".
        let cpuOnly = Self.points(Array(repeating: 20.0, count: 30)).map { point in
            var point = point
            point.memoryPercent = nil
            return point
        }
        let memory = try finding(ResourceAnalyzer(thresholds: Thresholds().resources).findings(cpuOnly, evidence: Self.evidence), "Memory Growth")
        #expect(memory.status == .notJudged && memory.observed == "not measured: the log has no host memory readings", "\(memory.observed)")
    }

    /// GPU memory: a steady leak over two hours with a few big outliers is found (Theil–Sen ignores the
    /// outliers); a sawtooth (an allocator filling and freeing) that does not grow overall is not.
    @Test func gpuMemoryGrowthIsRobustToOutliersAndSawtooth() throws {
        func points(_ value: (Int) -> Double) -> [ResourcePoint] {
            (0..<240).map { step in
                var point = ResourcePoint(time: Date(timeIntervalSince1970: 1_800_000_000 + Double(step) * 30), intervalSeconds: 30, cpuPercent: 10)
                point.gpuMemoryPercent = value(step)
                return point
            }
        }
        let t = Thresholds().resources
        let leak = points { step in step % 50 == 7 ? 5 : 40 + Double(step) * 0.1 }  // +12 points/hour, outliers at 5%
        let growth = try finding(ResourceAnalyzer(thresholds: t).findings(leak, evidence: Self.evidence), "GPU Memory Growth")
        #expect(growth.status == .breach)
        #expect(abs((growth.measurements["per_hour"] ?? 0) - 12) < 0.01)
        let sawtooth = points { step in 40 + Double(step % 20) * 1.0 + Double(step) * 0.0 }
        #expect(try finding(ResourceAnalyzer(thresholds: t).findings(sawtooth, evidence: Self.evidence), "GPU Memory Growth").status == .pass)
    }

    /// A quiet recorded series (the example's telemetry, recorded under HTTP load) raises nothing.
    @Test func quietRecordedSeriesRaisesNothing() throws {
        let path = TestFiles.packageRoot + "/Examples/InferenceService/runs/telemetry.jsonl"
        let findings = ResourceAnalyzer(thresholds: Thresholds().resources).findings(try TelemetryLog.read(path: path), evidence: Self.evidence)
        #expect(findings.filter { $0.table == .anomalyDetection && ![.pass, .notJudged].contains($0.status) }.isEmpty, "\(findings.map { "\($0.check): \($0.observed)" })")
    }

    @Test func memoryGrowthSlopeIsPerHour() throws {
        // 40% → 52% over two hours: 6 points/hour, about 12% of the memory in use per hour > 5.
        let points = (0...120).map { minute in
            ResourcePoint(time: Date(timeIntervalSince1970: 1_800_000_000 + Double(minute) * 60), intervalSeconds: 60, cpuPercent: 10, memoryPercent: 40 + Double(minute) * 0.1)
        }
        let growth = try finding(ResourceAnalyzer(thresholds: Thresholds().resources).findings(points, evidence: Self.evidence), "Memory Growth")
        #expect(growth.status == .watch)
        #expect(abs((growth.measurements["per_hour"] ?? 0) - 6) < 1e-6)
        #expect(abs((growth.measurements["percent_per_hour"] ?? 0) - 600 / 46.6) < 0.01)
    }

    @Test func telemetryLogRoundTripsAndLocatesErrors() throws {
        let path = try TestFiles.temporaryFile("assay-telemetry.jsonl")
        let points = Self.points([10, 20, 30])
        try AtomicFile.write(Array(try TelemetryLog.lines(points).utf8), to: path)
        #expect(try TelemetryLog.read(path: path) == points)
        try AtomicFile.write(Array((try TelemetryLog.lines(points) + "{oops}\n").utf8), to: path)
        #expect(throws: TelemetryLogError(path: path, line: 4, expected: "a JSON object (one sample per line)")) {
            try TelemetryLog.read(path: path)
        }
    }
}

@Suite struct GPUTests {
    @Test func fullQueryOutputWithUnitsParses() throws {
        let url = URL(fileURLWithPath: try TestFiles.fixture("gpu/query-gpu-all" + ".csv", in: .module))
        let readings = NvidiaSMI.parse(csv: try String(contentsOf: url, encoding: .utf8))
        let gpu = try #require(readings.first)
        #expect(gpu.index == 0)
        #expect(gpu.name == "NVIDIA GeForce RTX 2080 SUPER")
        #expect(gpu.utilizationPercent == 2)
        #expect(gpu.memoryUsedMiB == 876 && gpu.memoryTotalMiB == 8192)
        #expect(gpu.temperatureCelsius == 36)
        #expect(gpu.powerWatts == 32.7)
        #expect(gpu.throttleReasons == 1)
    }

    @Test func noUnitLinesAndMissingValues() throws {
        let fields = NvidiaSMI.queryFields(reasons: "clocks_event_reasons.active")
        let reading = try #require(NvidiaSMI.parse(line: "1, NVIDIA H200, 97, 80000, 143771, 71, [N/A], 0x0000000000000020", fields: fields))
        #expect(reading.index == 1)
        #expect(reading.powerWatts == nil)
        #expect(reading.throttleReasons == 0x20)
        #expect(abs((reading.memoryPercent ?? 0) - 80000.0 / 143771.0 * 100) < 1e-9)
        #expect(NvidiaSMI.parse(line: "garbage", fields: fields) == nil)
    }

    /// No GPU on the test machines: a stand-in prints nvidia-smi's `noheader,nounits` lines, so the
    /// long-lived-process plumbing is exercised; the parsing itself is checked on real output above.
    @Test func samplerKeepsTheLatestReadingPerGPUFromOneProcess() async throws {
        let script = try TestFiles.temporaryFile("nvidia-smi")
        try """
            #!/bin/sh
            i=0
            while [ $i -lt 50 ]; do
              echo "0, GPU A, $i, 1000, 2000, 60, 100.5, 0x0000000000000000"
              echo "1, GPU B, 90, 1500, 2000, 85, 300.0, 0x0000000000000040"
              i=$((i+1)); sleep 0.05
            done
            """.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let sampler = try #require(GPUSampler(intervalMilliseconds: 50, executable: script))
        defer { sampler.stop() }
        try await Task.sleep(for: .milliseconds(500))
        let readings = sampler.readings()
        #expect(readings.map(\.index) == [0, 1])
        #expect((readings.first?.utilizationPercent ?? 0) > 0)
        var point = ResourcePoint(time: Date(), intervalSeconds: 1)
        point.attach(readings)
        #expect(point.gpuPercent == 90)
        #expect(point.gpuTemperatureCelsius == 85)
        #expect(point.gpuThrottleReasons == 0x40)
        #expect(GPUSampler(intervalMilliseconds: 100, executable: "/nonexistent/nvidia-smi") == nil)
    }

    @Test func gpuRowsAndAnomalies() throws {
        let points = (0...120).map { minute -> ResourcePoint in
            var point = ResourcePoint(
                time: Date(timeIntervalSince1970: 1_800_000_000 + Double(minute) * 60), intervalSeconds: 60, cpuPercent: 30, memoryPercent: 40)
            point.gpuPercent = 95
            point.gpuMemoryPercent = 50 + Double(minute) * 0.2
            point.gpuThrottleReasons = minute.isMultiple(of: 10) ? 0x40 : 0
            return point
        }
        let findings = ResourceAnalyzer(thresholds: Thresholds().resources)
            .findings(points, evidence: Evidence(path: "t.jsonl", sha256: String(repeating: "a", count: 64)))
        #expect(findings.first { $0.check == "GPU Utilization (%)" }?.status == .breach)
        let growth = try #require(findings.first { $0.check == "GPU Memory Growth" })
        #expect(growth.status == .breach)
        #expect(abs((growth.measurements["per_hour"] ?? 0) - 12) < 1e-6)
        let throttling = try #require(findings.first { $0.check == "Thermal Throttling" })
        #expect(throttling.observed.hasPrefix("thermal or hardware slowdown in 13 of 121 samples; first at 2027-01-15T07:59:00Z"))
        #expect(throttling.events.count == 13 && throttling.events.allSatisfy { $0.durationSeconds == 60 })
    }
}


@Suite struct CgroupTests {
    static func directory(_ name: String) throws -> String {
        try TestFiles.fixture("cgroup/" + name, in: .module)
    }

    @Test func v1ControllersFromAHybridHost() throws {
        let stats = Cgroups.v1(cpu: try Self.directory("cgroup_v1_cpu"), memory: try Self.directory("cgroup_v1_memory"))
        #expect(stats.version == 1)
        #expect(stats.periods == 0 && stats.throttledPeriods == 0)
        #expect(stats.throttledPercent == nil)
        #expect(stats.memoryBytes == 595_419_136)
        #expect(stats.memoryLimitBytes == nil)
    }

    @Test func v2RootHasNoThrottlingFieldsSoTheyAreAbsent() throws {
        let stats = Cgroups.v2(try Self.directory("cgroup_v2_unified"))
        #expect(stats.version == 2)
        #expect(stats.periods == nil && stats.throttledPeriods == nil && stats.throttledMicroseconds == nil)
        #expect(stats.memoryBytes == nil)
    }

    @Test func v2ChildGroupWithLimitsAndThrottling() throws {
        let directory = try TestFiles.temporaryDirectory("assay-cgroup")
        try "usage_usec 100\nnr_periods 200\nnr_throttled 50\nthrottled_usec 9000\n".write(toFile: directory + "/cpu.stat", atomically: true, encoding: .utf8)
        try "536870912\n".write(toFile: directory + "/memory.current", atomically: true, encoding: .utf8)
        try "1073741824\n".write(toFile: directory + "/memory.max", atomically: true, encoding: .utf8)
        try "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n".write(toFile: directory + "/memory.events", atomically: true, encoding: .utf8)
        let stats = Cgroups.v2(directory)
        #expect(stats.throttledPercent == 25)
        #expect(stats.memoryPercentOfLimit == 50)
        #expect(stats.oomKills == 1)
        #expect(Cgroups.current() != nil || !FileManager.default.fileExists(atPath: "/sys/fs/cgroup"))
    }

    /// The agent reads its cgroup through descriptors it keeps open: a later read sees the counters as they are then.
    @Test func samplerRereadsTheCgroupThroughKeptDescriptors() throws {
        let directory = try TestFiles.temporaryDirectory("assay-cgroup-kept")
        func write(_ text: String, _ name: String) throws {
            let handle = try #require(FileHandle(forWritingAtPath: directory + "/" + name) ?? {
                FileManager.default.createFile(atPath: directory + "/" + name, contents: nil)
                return FileHandle(forWritingAtPath: directory + "/" + name)
            }())
            try handle.truncate(atOffset: 0)
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }
        try write("", "cgroup.controllers")
        try write("1073741824\n", "memory.max")
        try write("nr_periods 100\nnr_throttled 10\n", "cpu.stat")
        try write("268435456\n", "memory.current")
        let sampler = HostSampler()
        let first = try #require(sampler.cgroup(root: directory))
        #expect(first.throttledPercent == 10 && first.memoryPercentOfLimit == 25)
        try write("nr_periods 200\nnr_throttled 50\n", "cpu.stat")
        try write("805306368\n", "memory.current")
        let second = try #require(sampler.cgroup(root: directory))
        #expect(second.throttledPercent == 25 && second.memoryPercentOfLimit == 75, "\(second)")
    }
}

@Suite struct CgroupPointTests {
    @Test func throttlingBetweenReadingsBecomesAnAnomaly() throws {
        var point = ResourcePoint(time: Date(timeIntervalSince1970: 1_800_000_000), intervalSeconds: 1, cpuPercent: 50)
        let before = CgroupStats(version: 2, periods: 100, throttledPeriods: 10, memoryBytes: 10, memoryLimitBytes: 40)
        let after = CgroupStats(version: 2, periods: 110, throttledPeriods: 14, memoryBytes: 20, memoryLimitBytes: 40)
        point.attach(cgroup: before, after)
        #expect(point.cgroupThrottledPercent == 40)
        #expect(point.cgroupMemoryPercent == 50)
        let findings = ResourceAnalyzer(thresholds: Thresholds().resources)
            .findings([point], evidence: Evidence(path: "t.jsonl", sha256: String(repeating: "a", count: 64)))
        #expect(findings.first { $0.check == "CPU Throttling (cgroup)" }?.status == .watch)
    }
}
