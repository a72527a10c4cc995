@testable import AssayApp
import AssayTestSupport
import Foundation
import Testing

/// `.assay/live` keeps the newest `keep_runs` evidence directories and touches nothing else there.
@Suite struct LiveEvidenceTests {
    @Test func pruningKeepsTheNewestRunsAndNothingElseIsTouched() throws {
        let root = try TestFiles.temporaryDirectory("assay-live-prune")
        let runs = ["20261205T101010-a", "20261206T090000-ffff", "20261207T120000-12", "20261207T120001-3b4c"]
        for name in runs + ["notes", "20261201T000000-zz"] {
            try FileManager.default.createDirectory(atPath: root + "/" + name + "/traces", withIntermediateDirectories: true)
        }
        try Data("20261207T120001-3b4c".utf8).write(to: URL(fileURLWithPath: root + "/latest"))
        #expect(LiveAudit.prune(root, keep: 2) == 2)
        let left = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        #expect(left == ["20261201T000000-zz", "20261207T120000-12", "20261207T120001-3b4c", "latest", "notes"])
        #expect(LiveAudit.prune(root, keep: 2) == 0)
        #expect(LiveAudit.prune(root + "/missing", keep: 2) == nil)
        // Every name LiveAudit.stamp makes is one prune recognises.
        let stamp = LiveAudit.stamp(Date())
        try FileManager.default.createDirectory(atPath: root + "/" + stamp, withIntermediateDirectories: true)
        #expect(LiveAudit.prune(root, keep: 1) == 2)
        #expect(FileManager.default.fileExists(atPath: root + "/" + stamp))
    }
}
