import AssayCore
import Foundation

/// Renders a `Document` as one self-contained HTML file: inline CSS, no scripts, no external resources.
public enum HTMLRenderer {
    public static func render(_ document: Document, verdict: String) -> String {
        page(title: document.title, bodyClass: verdict.lowercased().replacingOccurrences(of: " ", with: "-"), body: body(document))
    }

    /// A whole page with the report's stylesheet (plus `css`), extra `head` elements and `body` as given.
    public static func page(title: String, bodyClass: String, css: String = "", head: String = "", body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        \(stylesheet)\(css)</style>
        \(head)</head>
        <body class="\(escape(bodyClass))">
        \(body)</body>
        </html>

        """
    }

    /// The report's blocks as HTML elements (title, headings with ids, tables), for embedding in a page.
    public static func body(_ document: Document) -> String {
        var body = "<h1>\(escape(document.title))</h1>\n"
        for block in document.blocks {
            switch block {
            case .heading(let level, let text):
                let id = text.lowercased().filter { $0.isLetter || $0.isNumber || $0 == " " }.replacingOccurrences(of: " ", with: "-")
                body += "<h\(level) id=\"\(escape(id))\">\(escape(text))</h\(level)>\n"
            case .paragraph(let spans):
                body += "<p>\(inline(spans))</p>\n"
            case .table(let columns, let rows):
                body += "<table>\n<thead><tr>" + columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
                for row in rows {
                    body += "<tr>" + row.map { "<td>\(inline($0))</td>" }.joined() + "</tr>\n"
                }
                body += "</tbody>\n</table>\n"
            case .list(let ordered, let items):
                let tag = ordered ? "ol" : "ul"
                body += "<\(tag)>\n" + items.map { "<li>\(inline($0))</li>\n" }.joined() + "</\(tag)>\n"
            case .quote(let spans):
                body += "<blockquote class=\"verdict\">\(inline(spans))</blockquote>\n"
            case .figures(let figures):
                body += "<div class=\"figures\">\n" + figures.map { "<figure>\($0.svg)<figcaption>\(escape($0.caption))</figcaption></figure>\n" }.joined() + "</div>\n"
            }
        }
        return body
    }

    /// The report's CSS (the body's class is the verdict: stable, needs-fix, at-risk).
    public static let stylesheet = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #1b1f24; }
h1 { font-size: 1.6rem; border-bottom: 3px solid #1b1f24; padding-bottom: .3rem; }
h2 { font-size: 1.1rem; letter-spacing: .03em; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
tbody tr:nth-child(even) { background: #fbfcfd; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f1f3f5; padding: .05rem .3rem; border-radius: 3px; word-break: break-all; }
blockquote.verdict { margin: 1.5rem 0; padding: .8rem 1rem; border-left: 6px solid; background: #f6f8fa; }
body.stable blockquote.verdict { border-color: #1a7f37; }
body.needs-fix blockquote.verdict { border-color: #bf8700; }
body.at-risk blockquote.verdict { border-color: #cf222e; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; margin: .8rem 0; }
figure { margin: 0; flex: 0 1 560px; }
figure:has(svg.flamegraph) { flex-basis: 100%; }
svg.flamegraph { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #57606a; }
svg.chart { max-width: 100%; height: auto; background: #fff; font: 11px system-ui, sans-serif; }
svg.chart .chart-title { font-weight: 600; font-size: 12px; fill: #1b1f24; }
svg.chart .tick, svg.chart .legend { fill: #57606a; }
svg.chart .axis { fill: #1b1f24; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: 12px; font-weight: 600; line-height: 1.6; white-space: nowrap; border: 1px solid; }
.badge.pass { color: #1a7f37; background: #dafbe1; border-color: #4ac26b; }
.badge.fail { color: #a40e26; background: #ffebe9; border-color: #ff8182; }
.badge.warn { color: #7d4e00; background: #fff8c5; border-color: #d4a72c; }
.badge.info { color: #0550ae; background: #ddf4ff; border-color: #54aeff; }
.badge.none { color: #57606a; background: #f6f8fa; border-color: #d0d7de; }
@media print { body { margin: 0; max-width: none; } }
"""

    /// The marks status words start with in Markdown (`✅ Valid`) and the badge class each becomes in HTML: emoji
    /// need an emoji font, which headless browsers and many servers lack, so HTML draws the mark as a coloured badge
    /// with the word in it, and a bare mark as its word (a bare dash is an empty cell, not a status).
    static let statusMarks: [(mark: String, badge: String, word: String?)] = [
        ("✅", "pass", "yes"), ("❌", "fail", "no"), ("⚠️", "warn", "warning"), ("📊", "info", "measured"), ("ℹ️", "info", "note"),
        ("—", "none", nil),
    ]

    /// A status wording as HTML: `✅ Valid` becomes a green badge reading "Valid"; text without a mark is escaped.
    public static func status(_ label: String) -> String {
        for (mark, badge, word) in statusMarks where (label == mark && word != nil) || label.hasPrefix(mark + " ") {
            let text = label == mark ? word ?? mark : String(label.dropFirst(mark.count + 1))
            return "<span class=\"badge \(badge)\">\(escape(text))</span>"
        }
        // Any other emoji leading a status is a neutral badge; emoji anywhere else are left out.
        if let first = label.first, isEmoji(first) {
            let text = label.dropFirst().drop { $0 == " " }
            return "<span class=\"badge info\">\(escape(String(text)))</span>"
        }
        return escape(String(label.filter { !isEmoji($0) }))
    }

    /// Whether a character is drawn as an emoji (emoji presentation, or an emoji variation selector).
    static func isEmoji(_ character: Character) -> Bool {
        character.unicodeScalars.contains { $0.properties.isEmojiPresentation || $0.value == 0xFE0F }
    }

    static func inline(_ spans: [Document.Span]) -> String {
        spans.map { span in
            switch span {
            case .text(let s): status(s)
            case .bold(let s): "<strong>\(status(s))</strong>"
            case .code(let s): "<code>\(escape(s))</code>"
            }
        }.joined()
    }

    static func escape(_ text: String) -> String {
        TextEscaping.xml(text)
    }
}
