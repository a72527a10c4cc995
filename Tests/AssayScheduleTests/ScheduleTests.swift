import AssayCore
import AssaySchedule
import Foundation
import AssayTestSupport
import Testing

@Suite struct ScheduleTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func run(_ verdict: Verdict, _ findings: [(String, FindingStatus)]) -> AuditRun {
        let evidence = Evidence(path: "model/model.json", sha256: String(repeating: "a", count: 64))
        let rows = findings.map { Finding(table: .environmentIntegrity, check: $0.0, status: $0.1, observed: "x", evidence: evidence, []) }
        return AuditRun(
            id: "r", startedAt: t0, finishedAt: t0, configuration: evidence,
            layers: [LayerResult(layer: .environment, state: .verified, findings: rows, startedAt: t0, durationSeconds: 0)],
            judgement: Judgement(verdict: verdict, reasons: []))
    }

    @Test func aPeriodicJobIsDueOnceHoweverManyPeriodsWereMissed() {
        let job = ScheduledJob(name: "daily", kind: .audit, every: 60)
        #expect(Schedule.isDue(job, state: nil, now: t0, trigger: nil))
        var state = JobState()
        state.lastStarted = t0
        #expect(!Schedule.isDue(job, state: state, now: t0.addingTimeInterval(59), trigger: nil))
        #expect(Schedule.isDue(job, state: state, now: t0.addingTimeInterval(60), trigger: nil))
        // The host was down for ten periods: due now, and once it has run, not again until a period later.
        let late = t0.addingTimeInterval(600)
        #expect(Schedule.isDue(job, state: state, now: late, trigger: nil))
        state.lastStarted = late
        #expect(!Schedule.isDue(job, state: state, now: late.addingTimeInterval(1), trigger: nil))
        #expect(Schedule.nextDue(job, state: state, now: late) == late.addingTimeInterval(60))
    }

    @Test func aChangeJobRunsWhenItsFilesChangeAndNotOtherwise() {
        let job = ScheduledJob(name: "repro", kind: .reproducibility, every: nil, onChange: ["model/model.json"])
        var state = JobState()
        state.lastStarted = t0
        state.trigger = "digest-1"
        #expect(!Schedule.isDue(job, state: state, now: t0.addingTimeInterval(86_400 * 30), trigger: "digest-1"))
        #expect(Schedule.isDue(job, state: state, now: t0.addingTimeInterval(1), trigger: "digest-2"))
        #expect(Schedule.nextDue(job, state: state, now: t0) == nil)
    }

    @Test func notifiesOnAppearanceOnceNotWhileItPersistsAndAgainWhenItClears() {
        let clean = Schedule.fingerprint(run(.stable, [("Model Binary", .pass)]))
        #expect(Schedule.change(from: nil, to: clean) == nil, "a clean first run says nothing")
        let planted = Schedule.fingerprint(run(.atRisk, [("Model Binary", .integrityFailure)]))
        let appeared = Schedule.change(from: clean, to: planted)
        #expect(appeared?.appeared == ["environment_integrity · Model Binary · integrity_failure"])
        #expect(appeared?.verdict?.before == "STABLE" && appeared?.verdict?.after == "AT RISK")
        #expect(Schedule.change(from: planted, to: planted) == nil, "persisting: no news")
        let cleared = Schedule.change(from: planted, to: clean)
        #expect(cleared?.cleared == ["environment_integrity · Model Binary · integrity_failure"])
        #expect(cleared?.summary == "verdict AT RISK → STABLE · cleared: environment_integrity · Model Binary · integrity_failure")
        // A first run that already finds something is news.
        #expect(Schedule.change(from: nil, to: planted) != nil)
    }

    @Test func stateSurvivesRestartsAndALockKeepsASecondSchedulerOut() throws {
        let directory = try TestFiles.temporaryDirectory("assay-schedule")
        var state = JobState()
        state.lastStarted = t0
        state.fingerprint = ["verdict STABLE"]
        try ScheduleStateFile.save(["daily": state], to: directory + "/state.json")
        #expect(try ScheduleStateFile.load(directory + "/state.json") == ["daily": state])
        #expect(try ScheduleStateFile.load(directory + "/absent.json").isEmpty)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: directory + "/bad.json"))
        #expect(throws: ScheduleError.self) { try ScheduleStateFile.load(directory + "/bad.json") }

        let lock = try ScheduleLock(path: directory + "/state.json.lock")
        // flock locks belong to the open file description: a second open in the same process is refused too.
        #expect(throws: ScheduleError.self) { try ScheduleLock(path: directory + "/state.json.lock") }
        withExtendedLifetime(lock) {}
    }
}
