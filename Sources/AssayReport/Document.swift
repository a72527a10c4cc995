/// A format-neutral report document: Markdown and HTML are both rendered from it, so the two never
/// disagree on sections, columns or figures.
public struct Document: Sendable, Hashable {
    public var title: String
    public var blocks: [Block]

    /// A piece of inline text.
    public enum Span: Sendable, Hashable {
        case text(String)
        case code(String)
        case bold(String)
    }

    /// A table cell: a run of spans.
    public typealias Cell = [Span]

    public enum Block: Sendable, Hashable {
        case heading(level: Int, text: String)
        case paragraph([Span])
        case table(columns: [String], rows: [[Cell]])
        case list(ordered: Bool, items: [[Span]])
        case quote([Span])
    }
}

extension Document.Span {
    /// The span's text without markup.
    var plain: String {
        switch self {
        case .text(let s), .code(let s), .bold(let s): s
        }
    }
}
