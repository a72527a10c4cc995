import AssayTelemetry
import Foundation
import AssayTestSupport
import Testing

/// NVML through dlopen. No GPU here, so a stand-in library compiled by the test exports NVML's entry points with
/// NVML's C signatures and struct layouts and known values: what comes back proves the marshalling (struct
/// offsets, units, the two names of the reasons call). On a GPU host the same code reads the driver's library.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "needs a C compiler at /usr/bin/cc for the stand-in NVML library"))
struct NVMLTests {
    static let source = #"""
        #include <stdint.h>
        #include <string.h>
        typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
        typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
        typedef struct { unsigned long long referenceTime, violationTime; } nvmlViolationTime_t;
        typedef struct { unsigned int pid; unsigned long long usedGpuMemory; unsigned int gpuInstanceId, computeInstanceId; } nvmlProcessInfo_v2_t;
        typedef struct { unsigned int version; unsigned long long total, reserved, free, used; } nvmlMemory_v2_t;
        static int initialized = 0;
        int nvmlInit_v2(void) { initialized = 1; return 0; }
        int nvmlShutdown(void) { initialized = 0; return 0; }
        int nvmlDeviceGetCount_v2(unsigned int *n) { if (!initialized) return 1; *n = 2; return 0; }
        int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **d) { *d = (void *)(uintptr_t)(i + 1); return 0; }
        int nvmlDeviceGetName(void *d, char *name, unsigned int length) { strncpy(name, "NVIDIA H200", length); return 0; }
        int nvmlDeviceGetUtilizationRates(void *d, nvmlUtilization_t *u) { u->gpu = (uintptr_t)d == 1 ? 87 : 3; u->memory = 40; return 0; }
        int nvmlDeviceGetMemoryInfo(void *d, nvmlMemory_t *m) { m->total = 143771 * 1048576ULL; m->used = 81920 * 1048576ULL; m->free = m->total - m->used; return 0; }
        int nvmlDeviceGetTemperature(void *d, unsigned int sensor, unsigned int *t) { if (sensor != 0) return 2; *t = 71; return 0; }
        int nvmlDeviceGetPowerUsage(void *d, unsigned int *mw) { *mw = 512345; return 0; }
        int nvmlDeviceGetClockInfo(void *d, unsigned int type, unsigned int *mhz) { *mhz = type == 1 ? 1980 : 0; return 0; }
        int nvmlDeviceGetCurrentClocksThrottleReasons(void *d, unsigned long long *r) { *r = (uintptr_t)d == 1 ? 0x20 : 0x1; return 0; }
        int nvmlDeviceGetTotalEccErrors(void *d, unsigned int type, unsigned int counter, unsigned long long *n) { *n = (type == 1 && counter == 1) ? 2 : 99; return 0; }
        int nvmlDeviceGetViolationStatus(void *d, unsigned int policy, nvmlViolationTime_t *v) { v->referenceTime = 1; v->violationTime = policy == 0 ? 5000000000ULL : 7000000ULL; return 0; }
        int nvmlDeviceGetComputeRunningProcesses_v2(void *d, unsigned int *count, nvmlProcessInfo_v2_t *infos) {
            if ((uintptr_t)d != 1) { *count = 0; return 0; }
            if (*count < 2) { *count = 2; return 7; }
            infos[0].pid = 4242; infos[0].usedGpuMemory = 2048 * 1048576ULL;
            infos[1].pid = 4343; infos[1].usedGpuMemory = ~0ULL;
            *count = 2; return 0;
        }
        #ifdef MEMORY_V2
        /* As driver 580 on an H200 answers: v1 counts the 616 MiB the driver reserves as used, v2 does not. */
        int nvmlDeviceGetMemoryInfo_v2(void *d, nvmlMemory_v2_t *m) {
            if (m->version != (sizeof(nvmlMemory_v2_t) | 2 << 24)) return 25;
            m->total = 143771 * 1048576ULL; m->reserved = 616 * 1048576ULL; m->used = 81304 * 1048576ULL;
            m->free = m->total - m->reserved - m->used; return 0;
        }
        #endif
        """#

    static func library(defines: [String] = []) throws -> String {
        let directory = try TestFiles.temporaryDirectory("assay-nvml")
        try source.write(toFile: directory + "/nvml.c", atomically: true, encoding: .utf8)
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        cc.arguments = ["-shared", "-fPIC"] + defines.map { "-D\($0)" } + ["-o", directory + "/libnvidia-ml.so.1", directory + "/nvml.c"]
        try cc.run()
        cc.waitUntilExit()
        try #require(cc.terminationStatus == 0)
        return directory + "/libnvidia-ml.so.1"
    }

    @Test func readsEveryFigureWithNVMLsLayoutsAndUnits() throws {
        let nvml = try #require(NVML(path: try Self.library()))
        let readings = nvml.readings()
        #expect(readings.count == 2)
        let first = try #require(readings.first)
        #expect(first.name == "NVIDIA H200" && first.utilizationPercent == 87)
        #expect(first.memoryTotalMiB == 143_771 && first.memoryUsedMiB == 81_920)
        #expect(first.temperatureCelsius == 71 && first.powerWatts == 512.345 && first.smClockMHz == 1980)
        // The older name of the reasons call is used when the newer one is absent; 0x20 is SW thermal slowdown.
        #expect(first.throttleReasons == 0x20)
        #expect(first.eccUncorrectedErrors == 2)
        #expect(first.powerViolationNanoseconds == 5_000_000_000 && first.thermalViolationNanoseconds == 7_000_000)
        // Not-available memory (all ones) is left out rather than reported as 16 EiB.
        #expect(first.processMemoryMiB == [4242: 2048])
        #expect(readings[1].utilizationPercent == 3 && readings[1].processMemoryMiB == [:])
    }

    /// With the v2 memory call (and its versioned struct) used memory leaves out the driver's reservation.
    @Test func usedMemoryLeavesOutTheReservationWhenTheDriverSaysIt() throws {
        let nvml = try #require(NVML(path: try Self.library(defines: ["MEMORY_V2"])))
        let first = try #require(nvml.readings().first)
        #expect(first.memoryTotalMiB == 143_771 && first.memoryUsedMiB == 81_304)
    }

    @Test func absentOrForeignLibrariesGiveNoNVML() {
        #expect(NVML(path: "/nonexistent/libnvidia-ml.so.1") == nil)
        // A real library without NVML's entry points.
        #expect(NVML(path: "libz.so.1") == nil)
    }
}
