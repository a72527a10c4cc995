/// A `HOST:PORT` listen address, as `--listen` takes it.
public struct ListenAddress: Sendable, Hashable {
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), colon > text.startIndex, let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        host = String(text[..<colon])
        self.port = port
    }
}
