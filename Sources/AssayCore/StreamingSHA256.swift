import Crypto

/// SHA-256 over bytes that arrive in pieces (downloads, streams); lowercase hex at the end.
public struct StreamingSHA256 {
    private var hasher = SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    public func finalize() -> String {
        FileDigest.hex(hasher.finalize())
    }
}
