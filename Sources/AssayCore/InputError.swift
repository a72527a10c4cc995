/// Input that cannot be read, located: the file, the 1-based line (0 when not known) and what was expected there.
public struct InputError: Error, Sendable, CustomStringConvertible, Equatable {
    public var path: String
    public var line: Int
    public var expected: String

    public init(path: String, line: Int, expected: String) {
        self.path = path
        self.line = line
        self.expected = expected
    }

    public var description: String { line > 0 ? "\(path):\(line): expected \(expected)" : "\(path): expected \(expected)" }
}
