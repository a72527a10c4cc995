import AssayTelemetry
import AssayTestSupport
import Foundation
import Testing

@Suite struct NodeExporterScrapeTests {
    static func scrape() throws -> String {
        let url = URL(fileURLWithPath: try TestFiles.fixture("node_exporter_1.5.0_metrics" + ".prom", in: .module))
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// A real node_exporter 1.5.0 scrape as a host sample: CPU seconds summed over CPUs per mode, memory in KiB.
    @Test func realScrapeBecomesAHostSample() throws {
        let text = try Self.scrape()
        let sample = try #require(NodeExporterScrape.hostSample(text, monotonicSeconds: 0, wallTime: Date()))
        let cpu = try #require(sample.cpu)
        #expect(cpu.idle == UInt64(((141.85 + 131.36) * 100).rounded()))  // both CPUs' idle seconds, in 1/100 s
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("node_memory_MemTotal_bytes ") })
        let bytes = try #require(Double(line.split(separator: " ")[1]))
        #expect(sample.memory?.totalKiB == UInt64(bytes / 1024))
        #expect(!sample.network.isEmpty && !sample.disks.isEmpty && sample.load1 != nil)
    }

    /// Two scrapes one second apart where each of two CPUs spent half a second busy: 50% CPU.
    @Test func twoScrapesGiveUtilization() throws {
        func scrape(user: Double, idle: Double) -> String {
            """
            # TYPE node_cpu_seconds_total counter
            node_cpu_seconds_total{cpu="0",mode="idle"} \(idle)
            node_cpu_seconds_total{cpu="0",mode="user"} \(user)
            node_cpu_seconds_total{cpu="1",mode="idle"} \(idle)
            node_cpu_seconds_total{cpu="1",mode="user"} \(user)
            node_memory_MemTotal_bytes 8.589934592e+09
            node_memory_MemAvailable_bytes 2.147483648e+09
            """
        }
        let a = try #require(NodeExporterScrape.hostSample(scrape(user: 10, idle: 100), monotonicSeconds: 0, wallTime: Date()))
        let b = try #require(NodeExporterScrape.hostSample(scrape(user: 10.5, idle: 100.5), monotonicSeconds: 1, wallTime: Date()))
        let point = try #require(ResourcePoint(from: a, to: b))
        #expect(abs((point.cpuPercent ?? 0) - 50) < 1e-9)
        #expect(abs((point.memoryPercent ?? 0) - 75) < 1e-9)
        #expect(NodeExporterScrape.hostSample("# nothing\n", monotonicSeconds: 0, wallTime: Date()) == nil)
    }
}

/// Found by fuzz-prometheus: counters that are not counters (negative, infinite, NaN, beyond 2^63) in a scrape
/// trapped when converted; now the CPU sample is refused and other such counters are left out.
@Suite struct NodeExporterHostileCounterTests {
    @Test func impossibleCountersAreLeftOutNotTrapped() {
        let bad = """
            node_cpu_seconds_total{cpu="0",mode="idle"} 100
            node_cpu_seconds_total{cpu="0",mode="user"} 5
            node_disk_read_bytes_total{device="sda"} -1
            node_disk_written_bytes_total{device="sda"} 1e300
            node_disk_io_time_seconds_total{device="sda"} NaN
            node_network_receive_bytes_total{device="eth0"} +Inf
            node_network_transmit_bytes_total{device="eth0"} 1
            node_memory_MemTotal_bytes 1e40
            node_memory_MemAvailable_bytes 1024
            """
        let sample = NodeExporterScrape.hostSample(bad, monotonicSeconds: 0, wallTime: Date())
        #expect(sample?.cpu?.idle == 10_000)
        #expect(sample?.disks.isEmpty == true && sample?.network.isEmpty == true && sample?.memory == nil)
        #expect(NodeExporterScrape.hostSample("node_cpu_seconds_total{mode=\"idle\"} -5\n", monotonicSeconds: 0, wallTime: Date()) == nil)
        #expect(NodeExporterScrape.hostSample("node_cpu_seconds_total{mode=\"user\"} 1e30\n", monotonicSeconds: 0, wallTime: Date()) == nil)
    }
}
