import Foundation

/// Renders a `Document` as GitHub-flavoured Markdown.
public enum MarkdownRenderer {
    public static func render(_ document: Document) -> String {
        var out = "# \(escape(document.title))\n"
        for block in document.blocks {
            if case .figures = block { continue }
            out += "\n"
            switch block {
            case .heading(let level, let text):
                out += String(repeating: "#", count: level) + " " + escape(text) + "\n"
            case .paragraph(let spans):
                out += inline(spans) + "\n"
            case .table(let columns, let rows):
                out += "| " + columns.map(escapeCell).joined(separator: " | ") + " |\n"
                out += "|" + String(repeating: "---|", count: columns.count) + "\n"
                for row in rows {
                    out += "| " + row.map { escapeCell(inline($0)) }.joined(separator: " | ") + " |\n"
                }
            case .list(let ordered, let items):
                for (index, item) in items.enumerated() {
                    out += (ordered ? "\(index + 1). " : "- ") + inline(item) + "\n"
                }
            case .quote(let spans):
                out += "> " + inline(spans) + "\n"
            case .figures:
                break
            }
        }
        return out
    }

    static func inline(_ spans: [Document.Span]) -> String {
        spans.map { span in
            switch span {
            case .text(let s): escape(s)
            case .bold(let s): "**" + escape(s) + "**"
            case .code(let s): code(s)
            }
        }.joined()
    }

    static func code(_ text: String) -> String {
        let fence = text.contains("`") ? "``" : "`"
        let padded = text.hasPrefix("`") || text.hasSuffix("`") ? " \(text) " : text
        return fence + padded.replacingOccurrences(of: "\n", with: " ") + fence
    }

    /// Escapes characters Markdown would read as markup in plain text.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "<", ">": out += "\\\(character)"
            case "\n": out += " "
            default: out.append(character)
            }
        }
        // A bracket followed by a parenthesis would read as a link.
        return out.replacingOccurrences(of: "](", with: "\\](")
    }

    static func escapeCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|")
    }
}
