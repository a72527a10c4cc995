import AssayCore
import AssayStore
import Foundation

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
