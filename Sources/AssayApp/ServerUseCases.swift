import AssayAudit
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayStore
import Foundation

/// Write tokens of `assay serve`, and pushing stored audits to one.
public enum ServerUseCases {
    /// Makes a token named `name` and returns its secret, shown this once.
    public static func createToken(_ name: String, configuration: Configuration) async throws -> Lines {
        guard !name.isEmpty, name.count <= 100 else { throw AppError("token name: expected 1–100 characters", code: ExitStatus.usage) }
        let secret = TokenSecret.generate()
        try await Workspace.withStore(configuration) { store in
            guard try await !store.tokens().contains(where: { $0.name == name }) else {
                throw AppError("a token named \(name) exists already", code: ExitStatus.usage)
            }
            try await store.saveToken(APIToken(name: name, sha256: TokenSecret.digest(secret), createdAt: Date()))
        }
        return Lines([secret])
    }

    public static func tokens(configuration: Configuration) async throws -> Lines {
        Lines(try await Workspace.withStore(configuration) { try await $0.tokens() }.map { token in
            "\(token.name)  created \(token.createdAt.formatted(.iso8601))  \(token.revokedAt.map { "revoked \($0.formatted(.iso8601))" } ?? "live")  sha256:\(token.sha256.prefix(12))"
        })
    }

    public static func revokeToken(_ name: String, configuration: Configuration) async throws -> Lines {
        guard try await Workspace.withStore(configuration, { try await $0.revokeToken(name: name, at: Date()) }) else {
            throw AppError("no live token named \(name)", code: ExitStatus.missingInput)
        }
        return Lines(["revoked \(name)"])
    }

    /// The token from `tokenFile`, else `$ASSAY_TOKEN`.
    public static func token(file: String?) throws -> String {
        if let file {
            try requireFile(file)
            return try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let value = ProcessInfo.processInfo.environment["ASSAY_TOKEN"], !value.isEmpty else {
            throw AppError("no token: pass --token-file or set ASSAY_TOKEN", code: ExitStatus.usage)
        }
        return value
    }

    /// Pushes a stored audit (the latest when `runID` is nil) with the environment state its history needs.
    public static func push(runID: String?, server: String, token: String, configuration: Configuration) async throws -> Lines {
        let stored: AuditRun? = try await Workspace.withStore(configuration) { store in
            if let runID { try await store.run(id: runID) } else { try await store.latestRun() }
        }
        guard let stored else {
            throw AppError(runID.map { "no stored audit with id \($0)" } ?? "the store holds no audit yet", code: ExitStatus.missingInput)
        }
        do {
            let environment = try BaselineCheck.environmentState(configuration, earlier: stored.layers)
            let url = try await AssayServerClient(baseURL: server, token: token).push(stored, environment: environment)
            return Lines(["pushed \(stored.id) (\(stored.judgement.verdict.rawValue)): \(url)"])
        } catch let error as AssayServerError {
            throw AppError(error.description, code: ExitStatus.unavailable)
        }
    }
}
