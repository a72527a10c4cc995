import AssayCore
import Foundation

/// Bearer tokens: made once, shown once, kept only as their SHA-256.
public enum TokenSecret {
    /// A new secret: `assay_` and 64 hex digits from 32 random bytes.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "assay_" + bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Equal length and bytes, examining every byte whatever the first difference.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    public static func digest(_ secret: String) -> String {
        FileDigest.sha256(of: Data(secret.utf8))
    }
}
