import AssayCore
import AssayReport
import AssayTestSupport
import Foundation
import Testing

@Suite struct RenderingTests {
    static func temporaryDirectory() throws -> String {
        let path = try TestFiles.temporaryDirectory("assay-report")
        return path
    }

    /// Validates with Python's `jsonschema` (the reference implementation users would reach for).
    static func validate(json: String, schema: String) throws -> (status: Int32, output: String) {
        let directory = try temporaryDirectory()
        try json.write(toFile: directory + "/report.json", atomically: true, encoding: .utf8)
        try schema.write(toFile: directory + "/schema.json", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[2]))
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = sorted(jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(json.load(open(sys.argv[1]))), key=str)
            for e in errors: print(list(e.absolute_path), e.message)
            sys.exit(1 if errors else 0)
            """,
            directory + "/report.json", directory + "/schema.json",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test(.enabled(if: ExternalTool.pythonModulesAvailable(["jsonschema"]), "needs jsonschema: pip install jsonschema"), arguments: ["full", "partial"])
    func jsonValidatesAgainstTheSchema(_ which: String) throws {
        let run = which == "full" ? ReportFixtures.fullRun() : ReportFixtures.partialRun()
        let json = try ReportWriter.render(ReportBuilder(service: "svc").build(run), as: .json)
        let result = try Self.validate(json: json, schema: try ReportWriter.schema())
        #expect(result.status == 0, "\(result.output)")
    }

    @Test(.enabled(if: ExternalTool.pythonModulesAvailable(["jsonschema"]), "needs jsonschema: pip install jsonschema"))
    func schemaRejectsAFindingWithoutEvidence() throws {
        let json = try ReportWriter.render(ReportBuilder(service: "svc").build(ReportFixtures.fullRun()), as: .json)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        var layers = try #require(object["layers"] as? [[String: Any]])
        var findings = try #require(layers[0]["findings"] as? [[String: Any]])
        findings[0]["evidence"] = [[String: Any]]()
        layers[0]["findings"] = findings
        object["layers"] = layers
        let broken = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let result = try Self.validate(json: broken, schema: try ReportWriter.schema())
        #expect(result.status == 1)
        #expect(result.output.contains("evidence"))
    }

    @Test func jsonRoundTripsAndIsStable() throws {
        let report = ReportBuilder(service: "svc").build(ReportFixtures.fullRun())
        let first = try ReportWriter.render(report, as: .json)
        #expect(try ReportWriter.render(report, as: .json) == first)
        let decoder = JSONCoding.decoder()
        #expect(try decoder.decode(Report.self, from: Data(first.utf8)) == report)
    }

    @Test func htmlIsSelfContainedAndEscaped() throws {
        var run = ReportFixtures.fullRun()
        run.layers[0].findings[0].observed = "<script>alert(1)</script>"
        let html = try ReportWriter.render(ReportBuilder(service: "svc & co").build(run), as: .html)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("<link"))
        for heading in ["ENVIRONMENT INTEGRITY", "LATENCY PROFILE", "FINAL VERDICT &amp; RECOMMENDATIONS"] {
            #expect(html.contains(">\(heading)</h2>"))
        }
        #expect(html.contains("<th>Δ vs Prev (ms)</th>"))
        #expect(html.contains("<body class=\"needs-fix\">"))
    }

    @Test func writerWritesEveryFormat() throws {
        let directory = try Self.temporaryDirectory()
        let paths = try ReportWriter.write(
            ReportBuilder(service: "svc").build(ReportFixtures.partialRun()), formats: ReportFormat.allCases, to: directory)
        #expect(paths.map { URL(fileURLWithPath: $0).lastPathComponent } == ["report.md", "report.json", "report.html"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["report.html", "report.json", "report.md"])
    }

    @Test func markdownEscapesPipesAndMarkup() throws {
        var run = ReportFixtures.fullRun()
        run.layers[2].findings[0].attributes["trend"] = "a|b *c*"
        let markdown = try ReportWriter.render(ReportBuilder(service: "svc").build(run), as: .markdown)
        #expect(markdown.contains("a\\|b \\*c\\*"))
    }
}
