import AssayCore
import AssayTestSupport
import Foundation
import GRDB
import Testing

@testable import AssayStore

@Suite struct StoredDateTests {
    /// The store writes dates without DateFormatter; the text must be GRDB's, byte for byte, so old and new rows
    /// compare alike. Checked on 20,000 seeded dates from 1900 to 2200 (before and after the epoch, leap days,
    /// fractions of a millisecond) and on edges.
    @Test func textIsGRDBsOwn() {
        var rng = SplitMix64(seed: 11)
        let low = Date(timeIntervalSince1970: -2_208_988_800).timeIntervalSince1970
        let high = Date(timeIntervalSince1970: 7_258_118_400).timeIntervalSince1970
        var dates = (0..<20_000).map { _ in Date(timeIntervalSince1970: low + rng.nextUnit() * (high - low)) }
        dates += [0, -0.0004, -1, 951_782_400, 951_868_799.9999, 1_709_164_800.5, 4_107_542_399.999].map(Date.init(timeIntervalSince1970:))
        for date in dates {
            #expect(StoredDate(date).databaseValue == date.databaseValue, "\(date.timeIntervalSince1970)")
        }
    }

    @Test func samplesQueriedByTimeAreFound() throws {
        let store = try Store(path: try TestFiles.temporaryDirectory("stored-date") + "/store.sqlite")
        let start = Date(timeIntervalSince1970: 1_764_500_000.25)
        try store.saveResourceSamples((0..<10).map { StoredSample(resolution: "raw", time: start.addingTimeInterval(Double($0)), payload: Data("{}".utf8)) })
        #expect(try store.resourceSamples(resolution: "raw", since: start.addingTimeInterval(4)).count == 6)
        try store.pruneResourceSamples(resolution: "raw", before: start.addingTimeInterval(8))
        let kept = try store.resourceSamples(resolution: "raw", since: start).map { ($0.time.timeIntervalSince1970 * 1000).rounded() }
        #expect(kept == [1_764_500_008_250, 1_764_500_009_250])
    }
}
