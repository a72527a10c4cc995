@testable import AssayBaseline
import AssayCore
import AssayTestSupport
import Foundation
import Testing

@Suite struct ChangePointTests {
    static func tigerbeetle() throws -> [Double] {
        let url = URL(fileURLWithPath: try TestFiles.fixture("tigerbeetle-series" + ".txt", in: .module))
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").compactMap { Double($0) }
    }

    /// A real benchmark series: the same change points Apache Otava's own tests expect from Otava, for each
    /// window, p-value and magnitude setting they cover.
    @Test(arguments: [
        (30, 0.01, 0.05, [15, 71]),
        (30, 0.05, 0.05, [15, 71]),
        (30, 0.1, 0.05, [10, 11, 15, 71, 363]),
        (30, 0.2, 0.05, [10, 11, 15, 71]),
        (30, 0.1, 0.01, [10, 11, 15, 28, 29, 35, 37, 48, 49, 61, 71, 95, 117, 131, 142, 148, 165, 169, 192, 206, 212, 260, 265, 268, 278, 282, 363]),
        (30, 0.01, 0.0, [15, 26, 61, 71, 95, 117, 131, 142, 148, 165, 169, 192, 212, 260]),
        (30, 0.001, 0.0, [15, 61, 71, 95, 117, 131, 142, 148, 192, 212, 260]),
        (30, 0.0001, 0.0, [71, 95, 117, 131, 142, 148, 192, 212]),
        (30, 0.00001, 0.0, [71, 95, 131, 192, 212]),
    ])
    func sameChangePointsAsOtavaOnARealSeries(_ window: Int, _ p: Double, _ magnitude: Double, _ expected: [Int]) throws {
        let series = try Self.tigerbeetle()
        #expect(series.count == 365)
        let found = ChangePointDetector(windowLength: window, maxPValue: p, minMagnitude: magnitude).changePoints(series)
        #expect(found.map(\.index) == expected)
    }

    /// Known truth: one shift of 7σ at index 60 is found there, with the right means; noise alone gives none.
    @Test func plantedShiftIsFoundAndNoiseIsNot() {
        var rng = SplitMix64(seed: 1)
        let series = (0..<60).map { _ in 100 + rng.nextGaussian() } + (0..<40).map { _ in 107 + rng.nextGaussian() }
        let found = ChangePointDetector().changePoints(series)
        #expect(found.map(\.index) == [60])
        #expect(abs((found.first?.meanBefore ?? 0) - 100) < 0.5 && abs((found.first?.meanAfter ?? 0) - 107) < 0.5)
        #expect((found.first?.pValue ?? 1) < 1e-20)
        var noise = SplitMix64(seed: 2)
        #expect(ChangePointDetector().changePoints((0..<120).map { _ in 50 + noise.nextGaussian() }).isEmpty)
        // Deterministic: the same series, the same answer.
        #expect(ChangePointDetector().changePoints(series) == found)
    }

    /// Student's t against values scipy.stats.t gives (sf and ppf), to 1e-9.
    @Test func studentTMatchesScipy() {
        #expect(abs(StudentT.survival(2.0, degreesOfFreedom: 10) - 0.036_694_017_385_370_18) < 1e-9)
        #expect(abs(StudentT.twoSidedP(3.5, degreesOfFreedom: 4) - 0.024_896_163_460_222_748) < 1e-9)
        #expect(abs(StudentT.survival(-1.0, degreesOfFreedom: 30) - 0.837_345_692_286_984_9) < 1e-9)
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 6) - 2.446_911_851_144_978_6) < 1e-7)
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 1000) - 1.962_339_080_826_408_3) < 1e-7)
    }
}
