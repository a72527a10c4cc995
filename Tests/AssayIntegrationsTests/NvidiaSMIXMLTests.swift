import AssayIntegrations
import AssayTelemetry
import AssayTestSupport
import Foundation
import Testing

@Suite struct GPUXMLTests {
    /// Found by fuzz-nvidia-smi: five bytes, a tag name that is not UTF-8, trapped inside Foundation's XMLParser.
    @Test func bytesThatAreNotUTF8GiveNoReadingsInsteadOfATrap() {
        #expect(NvidiaSMI.parse(xml: Data([0x3C, 0xFF, 0x69, 0x5F, 0x69])).isEmpty)
        #expect(NvidiaSMI.parse(xml: Data("<nvidia_smi_log><gpu><\u{FF}/></gpu></nvidia_smi_log>".utf8)).count == 1)
    }

    static func xml(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: try TestFiles.fixture("gpu/" + name + ".xml", in: .module)))
    }

    @Test func olderDriverWithThrottleReasons() throws {
        let gpu = try #require(NvidiaSMI.parse(xml: try Self.xml("tesla-t4")).first)
        #expect(gpu.name == "Tesla T4")
        #expect(gpu.index == 0)
        #expect(gpu.utilizationPercent == 0)
        #expect(gpu.memoryUsedMiB == 1032 && gpu.memoryTotalMiB == 15360)
        #expect(gpu.temperatureCelsius == 40)
        #expect(gpu.powerWatts == 26.78)
        #expect(gpu.throttleReasons == 0)
    }

    @Test func newerDriverWithClockEventReasons() throws {
        let gpu = try #require(NvidiaSMI.parse(xml: try Self.xml("rtx-4000-sff-ada-v13")).first)
        #expect(gpu.memoryTotalMiB == 20475)
        #expect(gpu.temperatureCelsius == 38)
        #expect(gpu.powerWatts == 8.44)
        #expect(gpu.throttleReasons == 0x1)
    }

    /// A real H200 (driver 580): used memory leaves out the 616 MiB the driver reserves, as NVML's v2 call does.
    @Test func h200WithDriver580() throws {
        let gpu = try #require(NvidiaSMI.parse(xml: try Self.xml("h200-driver-580")).first)
        #expect(gpu.name == "NVIDIA H200")
        #expect(gpu.memoryTotalMiB == 143_771 && gpu.memoryUsedMiB == 0)
        #expect(gpu.throttleReasons == 0x1)
        #expect(gpu.temperatureCelsius == 34)
    }

    @Test func xidErrorsAreCounted() {
        let log = """
            [ 1203.442101] NVRM: Xid (PCI:0000:3b:00): 79, pid=2231, name=python3, GPU has fallen off the bus.
            [ 1207.001004] NVRM: Xid (PCI:0000:3b:00): 48, pid=2231, An uncorrectable double bit error (DBE) has been detected.
            [ 1301.000000] NVRM: Xid (PCI:0000:86:00): 79, pid=0, GPU has fallen off the bus.
            [ 1302.000000] usb 1-1: new high-speed USB device number 2
            """
        #expect(XIDCounter.count(log) == [79: 2, 48: 1])
    }
}
