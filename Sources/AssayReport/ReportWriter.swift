import AssayCore
import Foundation

/// Report output formats.
public enum ReportFormat: String, Sendable, CaseIterable {
    case markdown, json, html

    public var fileName: String {
        switch self {
        case .markdown: "report.md"
        case .json: "report.json"
        case .html: "report.html"
        }
    }
}

/// Renders a report in each format and writes the files atomically.
public enum ReportWriter {
    /// JSON encoder for reports: sorted keys, ISO 8601 dates, so the same report gives the same bytes.
    public static func jsonEncoder() -> JSONEncoder { JSONCoding.encoder(pretty: true) }

    /// The report in one format; `traceFigures` (flamegraphs of the traces it cites) go into the HTML only.
    public static func render(
        _ report: Report, as format: ReportFormat, baselineWindowDays: Double = 7, traceFigures: [Document.Figure] = []
    ) throws -> String {
        var builder = DocumentBuilder(baselineWindowDays: baselineWindowDays)
        builder.traceFigures = traceFigures
        switch format {
        case .json:
            return String(decoding: try jsonEncoder().encode(report), as: UTF8.self) + "\n"
        case .markdown:
            return MarkdownRenderer.render(builder.document(report))
        case .html:
            return HTMLRenderer.render(builder.document(report), verdict: report.verdict.rawValue)
        }
    }

    /// Writes the report in each format into `directory`; returns the paths written.
    @discardableResult
    public static func write(
        _ report: Report, formats: [ReportFormat], to directory: String, baselineWindowDays: Double = 7,
        traceFigures: [Document.Figure] = []
    ) throws -> [String] {
        // Every format is rendered before any is written: the files are then replaced in quick succession, each
        // atomically.
        let rendered = try formats.map { format in
            (URL(fileURLWithPath: directory).appendingPathComponent(format.fileName).path,
             Array(try render(report, as: format, baselineWindowDays: baselineWindowDays, traceFigures: traceFigures).utf8))
        }
        for (path, bytes) in rendered { try AtomicFile.write(bytes, to: path) }
        return rendered.map(\.0)
    }

    /// The JSON schema reports follow.
    public static func schema() throws -> String {
        guard let url = Bundle.module.url(forResource: "report.schema", withExtension: "json", subdirectory: "Schema") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
