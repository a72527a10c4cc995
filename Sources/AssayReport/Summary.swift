/// Composes the report's summary from sentences in priority order, never exceeding the word limit.
public enum Summary {
    /// Number of words in `text`, counted as runs of non-whitespace.
    public static func wordCount(_ text: String) -> Int {
        text.split(whereSeparator: { $0.isWhitespace }).count
    }

    /// Joins sentences, most important first, stopping before the limit would be exceeded. A first sentence
    /// that alone exceeds the limit is cut to the limit and ends with "…".
    public static func compose(_ sentences: [String], maxWords: Int) -> String {
        var words = 0
        var kept: [String] = []
        for sentence in sentences {
            let count = wordCount(sentence)
            if words + count <= maxWords {
                kept.append(sentence)
                words += count
            } else if kept.isEmpty {
                let cut = sentence.split(whereSeparator: { $0.isWhitespace }).prefix(maxWords)
                return cut.joined(separator: " ") + "…"
            }
        }
        return kept.joined(separator: " ")
    }
}
