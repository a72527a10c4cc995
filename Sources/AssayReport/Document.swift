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
        /// Pictures drawn side by side; only the HTML report shows them.
        case figures([Figure])
    }

    /// An inline SVG picture with its caption.
    public struct Figure: Sendable, Hashable {
        public var caption: String
        public var svg: String

        public init(caption: String, svg: String) {
            self.caption = caption
            self.svg = svg
        }
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
