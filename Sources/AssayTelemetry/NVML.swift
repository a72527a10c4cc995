import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// NVIDIA's management library, opened with `dlopen` when the driver installed it (`libnvidia-ml.so.1`), so
/// Assay needs no CUDA headers or link-time dependency. Each reading is a handful of in-process calls: no
/// subprocess. Anything a GPU or driver does not support stays absent.
public final class NVML: @unchecked Sendable {
    private typealias Status = Int32
    private typealias Device = OpaquePointer?
    private typealias InitFn = @convention(c) () -> Status
    private typealias CountFn = @convention(c) (UnsafeMutablePointer<UInt32>) -> Status
    private typealias HandleFn = @convention(c) (UInt32, UnsafeMutablePointer<Device>) -> Status
    private typealias NameFn = @convention(c) (Device, UnsafeMutablePointer<CChar>, UInt32) -> Status
    /// nvmlUtilization_t: two unsigned ints (gpu, memory), percent.
    private typealias UtilizationFn = @convention(c) (Device, UnsafeMutablePointer<UInt32>) -> Status
    /// nvmlMemory_t: three unsigned long longs (total, free, used), bytes. nvmlMemory_v2_t (drivers from 510): an
    /// unsigned int version, then total, reserved, free and used; its used leaves out what the driver reserves.
    private typealias MemoryFn = @convention(c) (Device, UnsafeMutablePointer<UInt64>) -> Status
    private typealias SensorFn = @convention(c) (Device, UInt32, UnsafeMutablePointer<UInt32>) -> Status
    private typealias UIntFn = @convention(c) (Device, UnsafeMutablePointer<UInt32>) -> Status
    private typealias ReasonsFn = @convention(c) (Device, UnsafeMutablePointer<UInt64>) -> Status
    private typealias EccFn = @convention(c) (Device, UInt32, UInt32, UnsafeMutablePointer<UInt64>) -> Status
    /// nvmlViolationTime_t: two unsigned long longs (reference time, violation time in ns).
    private typealias ViolationFn = @convention(c) (Device, UInt32, UnsafeMutablePointer<UInt64>) -> Status
    private typealias ProcessesFn = @convention(c) (Device, UnsafeMutablePointer<UInt32>, UnsafeMutableRawPointer?) -> Status

    private let library: UnsafeMutableRawPointer
    private let count: CountFn
    private let handle: HandleFn
    private let name: NameFn?
    private let utilization: UtilizationFn?
    private let memory: MemoryFn?
    private let memoryV2: MemoryFn?
    private let temperature: SensorFn?
    private let power: UIntFn?
    private let clock: SensorFn?
    private let reasons: ReasonsFn?
    private let ecc: EccFn?
    private let violation: ViolationFn?
    private let processes: ProcessesFn?
    private let shutdown: InitFn?

    /// Opens and initializes NVML; nil when the library, its entry points or a GPU driver are missing.
    public init?(path: String = "libnvidia-ml.so.1") {
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol<T>(_ names: String..., as type: T.Type) -> T? {
            for name in names { if let pointer = dlsym(library, name) { return unsafeBitCast(pointer, to: type) } }
            return nil
        }
        guard let initialize = symbol("nvmlInit_v2", "nvmlInit", as: InitFn.self),
            let count = symbol("nvmlDeviceGetCount_v2", "nvmlDeviceGetCount", as: CountFn.self),
            let handle = symbol("nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex", as: HandleFn.self),
            initialize() == 0
        else {
            dlclose(library)
            return nil
        }
        self.library = library
        self.count = count
        self.handle = handle
        name = symbol("nvmlDeviceGetName", as: NameFn.self)
        utilization = symbol("nvmlDeviceGetUtilizationRates", as: UtilizationFn.self)
        memory = symbol("nvmlDeviceGetMemoryInfo", as: MemoryFn.self)
        memoryV2 = symbol("nvmlDeviceGetMemoryInfo_v2", as: MemoryFn.self)
        temperature = symbol("nvmlDeviceGetTemperature", as: SensorFn.self)
        power = symbol("nvmlDeviceGetPowerUsage", as: UIntFn.self)
        clock = symbol("nvmlDeviceGetClockInfo", as: SensorFn.self)
        // Drivers from 535 call them clock event reasons; older ones, throttle reasons. Same bits.
        reasons = symbol("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons", as: ReasonsFn.self)
        ecc = symbol("nvmlDeviceGetTotalEccErrors", as: EccFn.self)
        violation = symbol("nvmlDeviceGetViolationStatus", as: ViolationFn.self)
        processes = symbol("nvmlDeviceGetComputeRunningProcesses_v2", as: ProcessesFn.self)
        shutdown = symbol("nvmlShutdown", as: InitFn.self)
    }

    /// NVML_STRUCT_VERSION(Memory, 2): the struct's size (40 bytes) with the version in the top byte, in the first
    /// unsigned int (little-endian, so the low half of the first word).
    static let memoryV2Version: UInt64 = 40 | 2 << 24

    deinit {
        _ = shutdown?()
        dlclose(library)
    }

    /// One reading per GPU, now.
    public func readings() -> [GPUReading] {
        var devices: UInt32 = 0
        guard count(&devices) == 0 else { return [] }
        return (0..<devices).compactMap { index -> GPUReading? in
            var device: OpaquePointer?
            guard handle(index, &device) == 0 else { return nil }
            var reading = GPUReading(index: Int(index))
            if let name {
                var buffer = [CChar](repeating: 0, count: 96)
                if name(device, &buffer, 96) == 0 {
                    reading.name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
            if let utilization {
                var rates = [UInt32](repeating: 0, count: 2)
                if utilization(device, &rates) == 0 { reading.utilizationPercent = Double(rates[0]) }
            }
            // Used memory as nvidia-smi reports it: v2 leaves out the driver's reservation (616 MiB on an idle
            // H200 with driver 580), which v1 counts as used.
            var info = [UInt64](repeating: 0, count: 5)
            info[0] = Self.memoryV2Version
            if let memoryV2, memoryV2(device, &info) == 0 {
                reading.memoryTotalMiB = Double(info[1]) / 1_048_576
                reading.memoryUsedMiB = Double(info[4]) / 1_048_576
            } else if let memory, memory(device, &info) == 0 {
                reading.memoryTotalMiB = Double(info[0]) / 1_048_576
                reading.memoryUsedMiB = Double(info[2]) / 1_048_576
            }
            var value: UInt32 = 0
            if let temperature, temperature(device, 0, &value) == 0 { reading.temperatureCelsius = Double(value) }
            if let power, power(device, &value) == 0 { reading.powerWatts = Double(value) / 1000 }
            if let clock, clock(device, 1, &value) == 0 { reading.smClockMHz = Double(value) }
            var mask: UInt64 = 0
            if let reasons, reasons(device, &mask) == 0 { reading.throttleReasons = mask }
            // Uncorrected errors (1), aggregate over the GPU's life (1).
            if let ecc, ecc(device, 1, 1, &mask) == 0 { reading.eccUncorrectedErrors = mask }
            if let violation {
                var times = [UInt64](repeating: 0, count: 2)
                if violation(device, 0, &times) == 0 { reading.powerViolationNanoseconds = times[1] }
                if violation(device, 1, &times) == 0 { reading.thermalViolationNanoseconds = times[1] }
            }
            if let processes { reading.processMemoryMiB = Self.processMemory(processes, device) }
            return reading
        }
    }

    /// pid → MiB from nvmlProcessInfo_v2_t records (pid at 0, used bytes at 8; 24 bytes each).
    private static func processMemory(_ call: ProcessesFn, _ device: OpaquePointer?) -> [Int: Double]? {
        var capacity: UInt32 = 64
        let stride = 24
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Int(capacity) * stride, alignment: 8)
        defer { buffer.deallocate() }
        guard call(device, &capacity, buffer) == 0 else { return nil }
        var result: [Int: Double] = [:]
        for index in 0..<Int(min(capacity, 64)) {
            let pid = buffer.load(fromByteOffset: index * stride, as: UInt32.self)
            let used = buffer.load(fromByteOffset: index * stride + 8, as: UInt64.self)
            // NVML_VALUE_NOT_AVAILABLE is all ones.
            if used != .max { result[Int(pid)] = Double(used) / 1_048_576 }
        }
        return result
    }
}
