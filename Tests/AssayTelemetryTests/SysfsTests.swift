import AssayCore
import AssayTelemetry
import Foundation
import AssayTestSupport
import Testing

/// Thermal zones, cpufreq and thermal-throttle counters, read from a directory laid out like /sys (this build
/// machine has none of them: a VM). Absent files stay absent, never 0.
@Suite struct SysfsTests {
    static func tree(temperature: Int, throttles: Int) throws -> String {
        let root = try TestFiles.temporaryDirectory("assay-sys")
        let files: [(String, String)] = [
            ("class/thermal/thermal_zone0/type", "x86_pkg_temp\n"), ("class/thermal/thermal_zone0/temp", "\(temperature)\n"),
            ("class/thermal/thermal_zone1/type", "acpitz\n"), ("class/thermal/thermal_zone1/temp", "41000\n"),
            ("devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "2400000\n"),
            ("devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "1600000\n"),
            ("devices/system/cpu/cpu0/thermal_throttle/core_throttle_count", "\(throttles)\n"),
            ("devices/system/cpu/cpu0/thermal_throttle/package_throttle_count", "1\n"),
        ]
        for (path, text) in files { try AtomicFile.write(Array(text.utf8), to: root + "/" + path) }
        return root
    }

    @Test func thermalFrequencyAndThrottleCounts() throws {
        let sys = try Self.tree(temperature: 88000, throttles: 3)
        let sampler = HostSampler(root: "/proc", sysRoot: sys)
        let first = sampler.sample()
        #expect(first.thermalMillidegrees == ["x86_pkg_temp": 88000, "acpitz": 41000])
        #expect(first.cpuFrequencyKHz == [2_400_000, 1_600_000])
        #expect(first.throttleEvents == 4)
        // In place, as the kernel updates it (the sampler keeps the descriptor open).
        try "7\n".write(toFile: sys + "/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count", atomically: false, encoding: .utf8)
        usleep(20_000)
        let second = sampler.sample()
        let point = try #require(ResourcePoint(from: first, to: second))
        #expect(point.cpuTemperatureCelsius == 88 && point.cpuFrequencyMHz == 2000 && point.cpuThrottleEvents == 4)
        let findings = ResourceAnalyzer(thresholds: Thresholds().resources).findings(
            [point], evidence: Evidence(path: "t.jsonl", sha256: String(repeating: "0", count: 64)))
        #expect(findings.first { $0.check == "CPU Thermal Throttling" }?.status == .watch)
    }

    @Test func absentFilesStayAbsent() throws {
        let empty = try TestFiles.temporaryDirectory("assay-sys-empty")
        let sample = HostSampler(root: "/proc", sysRoot: empty).sample()
        #expect(sample.thermalMillidegrees.isEmpty && sample.cpuFrequencyKHz.isEmpty && sample.throttleEvents == nil)
        let point = ResourcePoint(from: sample, to: HostSampler(root: "/proc", sysRoot: empty).sample())
        #expect(point?.cpuTemperatureCelsius == nil && point?.cpuThrottleEvents == nil)
    }
}
