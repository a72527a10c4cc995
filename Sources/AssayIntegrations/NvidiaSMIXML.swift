import AssayTelemetry
import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

extension NvidiaSMI {
    /// Bits of the clock event (throttle) reasons, as NVML numbers them.
    static let reasonBits: [String: UInt64] = [
        "gpu_idle": 0x1, "applications_clocks_setting": 0x2, "sw_power_cap": 0x4, "hw_slowdown": 0x8, "sync_boost": 0x10,
        "sw_thermal_slowdown": 0x20, "hw_thermal_slowdown": 0x40, "hw_power_brake_slowdown": 0x80, "display_clocks_setting": 0x100,
    ]

    /// Readings from `nvidia-smi -q -x` (DTD v12 with `clocks_throttle_reasons`, v13 with `clocks_event_reasons`).
    /// Bytes that are not UTF-8 give no readings: Foundation's XMLParser traps on a tag name that is not valid
    /// UTF-8 (found by fuzz-nvidia-smi), and nvidia-smi writes ASCII.
    public static func parse(xml data: Data) -> [GPUReading] {
        guard String(validating: data, as: UTF8.self) != nil else { return [] }
        let collector = XMLCollector()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        _ = parser.parse()  // a malformed document yields the GPUs read before the error
        return collector.readings
    }
}

/// Walks the XML keeping the element path; fills one reading per `<gpu>`.
private final class XMLCollector: NSObject, XMLParserDelegate {
    var readings: [GPUReading] = []
    private var path: [String] = []
    private var text = ""
    private var current: GPUReading?
    private var reasons: UInt64 = 0
    private var sawReasons = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        path.append(name)
        text = ""
        if name == "gpu" {
            current = GPUReading(index: readings.count)
            reasons = 0
            sawReasons = false
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        defer {
            path.removeLast()
            text = ""
        }
        guard current != nil else { return }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parent = path.count >= 2 ? path[path.count - 2] : ""
        func number() -> Double? {
            guard !value.hasPrefix("N/A"), !value.hasPrefix("[") else { return nil }
            return value.split(separator: " ").first.flatMap { Double($0) }
        }
        switch (parent, name) {
        case ("gpu", "minor_number"): if let index = Int(value) { current?.index = index }
        case ("gpu", "product_name"): current?.name = value
        case ("utilization", "gpu_util"): current?.utilizationPercent = number()
        case ("fb_memory_usage", "total"): current?.memoryTotalMiB = number()
        case ("fb_memory_usage", "used"): current?.memoryUsedMiB = number()
        case ("temperature", "gpu_temp"): current?.temperatureCelsius = number()
        case ("power_readings", "power_draw"), ("gpu_power_readings", "power_draw"), ("gpu_power_readings", "instant_power_draw"):
            if let watts = number() { current?.powerWatts = watts }
        case ("clocks_throttle_reasons", _), ("clocks_event_reasons", _):
            let reason = name.replacingOccurrences(of: "clocks_throttle_reason_", with: "").replacingOccurrences(of: "clocks_event_reason_", with: "")
            sawReasons = true
            if value == "Active", let bit = NvidiaSMI.reasonBits[reason] { reasons |= bit }
        case (_, "gpu"):
            if sawReasons { current?.throttleReasons = reasons }
            if let reading = current { readings.append(reading) }
            current = nil
        default: break
        }
    }
}

/// Counts NVIDIA XID errors in kernel log text (`dmesg`, `journalctl -k`): lines such as
/// `NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, GPU has fallen off the bus.`
public enum XIDCounter {
    public static func count(_ log: String) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for line in log.split(separator: "\n") {
            guard let marker = line.range(of: "NVRM: Xid ("), let close = line[marker.upperBound...].range(of: "):") else { continue }
            let rest = line[close.upperBound...].drop { $0 == " " }
            if let code = Int(rest.prefix { $0.isNumber }) { counts[code, default: 0] += 1 }
        }
        return counts
    }
}
