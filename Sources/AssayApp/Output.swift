import AssayCore
import Foundation

/// How a command prints its result.
public enum OutputFormat: String, Sendable, CaseIterable {
    case text, json, markdown
}

/// What a use case returns: encodable as JSON, readable as text and as Markdown, with the process exit code it implies.
public protocol CommandOutput: Encodable {
    /// Lines for a terminal.
    func text() -> String
    /// The same content as Markdown (tables where the text has columns).
    func markdown() -> String
    /// 0 when all is well; otherwise the code the command documents.
    var exitCode: Int32 { get }
}

extension CommandOutput {
    public var exitCode: Int32 { 0 }

    /// The result in `format`, ending in a newline.
    public func rendered(_ format: OutputFormat) throws -> String {
        switch format {
        case .json: String(decoding: try JSONCoding.encoder(pretty: true).encode(self), as: UTF8.self) + "\n"
        case .text: Self.terminated(text())
        case .markdown: Self.terminated(markdown())
        }
    }

    private static func terminated(_ text: String) -> String {
        text.isEmpty || text.hasSuffix("\n") ? text : text + "\n"
    }
}

/// An error a use case raises with its exit code.
public struct AppError: AssayError {
    public var message: String
    public var exitCode: Int32

    public init(_ message: String, code: Int32) {
        self.message = message
        self.exitCode = code
    }

    public var description: String { message }
}

/// A Markdown table; cells have their pipes escaped.
public struct MarkdownTable {
    public var header: [String]
    public var rows: [[String]]

    public init(_ header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    public var text: String {
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }.joined(separator: " | ") + " |"
        }
        return ([line(header), "|" + String(repeating: "---|", count: header.count)] + rows.map(line)).joined(separator: "\n")
    }
}

extension String {
    /// The string right-aligned in `width` characters.
    public func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    /// The string left-aligned in `width` characters.
    public func padded(_ width: Int) -> String {
        padding(toLength: max(width, count), withPad: " ", startingAt: 0)
    }
}

/// Findings as a command prints them; JSON is the array of findings.
public struct FindingsOutput: CommandOutput {
    public var title: String
    public var findings: [Finding]
    public var exitCode: Int32
    /// Lines after the text (files written).
    public var notes: [String] = []
    /// Text lines when the command prints something other than the standard table.
    var textLines: (([Finding]) -> [String])?

    public init(title: String, findings: [Finding], exitCode: Int32, text: (([Finding]) -> [String])? = nil) {
        self.title = title
        self.findings = findings
        self.exitCode = exitCode
        self.textLines = text
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(findings)
    }

    public func text() -> String {
        if let textLines { return (textLines(findings) + notes).joined(separator: "\n") }
        var lines = [title]
        for f in findings {
            lines.append("  \(f.status.rawValue.padded(17)) \(f.check): \(f.observed)" + (f.expected.map { " (expected \($0))" } ?? ""))
            lines.append("                    evidence: \(f.primaryEvidence.reference) sha256:\(f.primaryEvidence.shortDigest)")
        }
        return (lines + notes).joined(separator: "\n")
    }

    public func markdown() -> String {
        let rows = findings.map { f in
            [f.check, f.status.rawValue, f.observed, f.expected ?? "—", "\(f.primaryEvidence.reference) (sha256 \(f.primaryEvidence.shortDigest))"]
        }
        return "### \(title)\n\n" + MarkdownTable(["Check", "Status", "Observed", "Expected", "Evidence"], rows: rows).text
    }

    /// 1 when a finding breaches, else 0.
    public static func breachCode(_ findings: [Finding]) -> Int32 {
        findings.contains { $0.status == .breach } ? 1 : 0
    }
}

/// Lines of text that print the same way in every format but JSON.
public struct Lines: CommandOutput {
    public var lines: [String]
    public var exitCode: Int32

    public init(_ lines: [String], exitCode: Int32 = 0) {
        self.lines = lines
        self.exitCode = exitCode
    }

    public func text() -> String { lines.joined(separator: "\n") }
    public func markdown() -> String { lines.map { "- " + $0 }.joined(separator: "\n") }
}
