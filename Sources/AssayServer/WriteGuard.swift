import AssayCore
import AssayStore
import Crypto
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
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Why a write was refused, with the HTTP status it maps to.
public enum WriteRefusal: Error, Sendable, Equatable {
    case readOnly
    case missingToken
    case unknownToken
    case rateLimited(retryAfterSeconds: Int)
}

/// Admits writes: the server is not read-only, the bearer token is known and live, and its bucket has room.
public actor WriteGuard {
    private let store: any AuditStore
    private let readOnly: Bool
    private let perMinute: Double
    private var buckets: [String: (tokens: Double, at: Date)] = [:]
    private let now: @Sendable () -> Date

    public init(store: any AuditStore, readOnly: Bool, writesPerMinute: Int, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.readOnly = readOnly
        self.perMinute = Double(max(1, writesPerMinute))
        self.now = now
    }

    /// The token's name when the write may go ahead.
    public func admit(authorization: String?) async throws -> String {
        if readOnly { throw WriteRefusal.readOnly }
        guard let authorization, authorization.lowercased().hasPrefix("bearer "),
            case let secret = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces), !secret.isEmpty
        else { throw WriteRefusal.missingToken }
        let digest = Array(TokenSecret.digest(secret).utf8)
        // Every live token is compared in full, whatever matches, so the time taken says nothing about the secret.
        var found: APIToken?
        for token in try await store.tokens() where token.revokedAt == nil {
            if TokenSecret.constantTimeEqual(Array(token.sha256.utf8), digest) { found = token }
        }
        guard let token = found else { throw WriteRefusal.unknownToken }
        let time = now()
        var bucket = buckets[token.name] ?? (perMinute, time)
        bucket.tokens = min(perMinute, bucket.tokens + time.timeIntervalSince(bucket.at) * perMinute / 60)
        bucket.at = time
        guard bucket.tokens >= 1 else {
            buckets[token.name] = bucket
            throw WriteRefusal.rateLimited(retryAfterSeconds: Int(((1 - bucket.tokens) * 60 / perMinute).rounded(.up)))
        }
        bucket.tokens -= 1
        buckets[token.name] = bucket
        return token.name
    }
}
