import ArgumentParser
import AssayAudit
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayServer
import AssayStore
import Foundation

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the dashboard, the REST API and authenticated ingest over the store.",
        discussion: """
            Pages: / (latest audit: verdict, charts, environment differences, flamegraphs, every report section), \
            /runs, /runs/ID, /fleet, /reproducibility. API: /api/v1 (OpenAPI document at /api/v1/openapi.json). \
            Writes (POST /api/v1/runs, POST /api/v1/metrics) need Authorization: Bearer TOKEN from `assay token create`. \
            Binds 127.0.0.1 unless told otherwise; SIGTERM or SIGINT stops it.
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: "Address and port to listen on.")
    var listen: String = "127.0.0.1:9470"

    @Flag(help: "Refuse every write.")
    var readOnly = false

    @Option(help: "Largest request body accepted, in bytes.")
    var maxBodyBytes: Int = 4 << 20

    @Option(help: "Writes each token may make per minute.")
    var writesPerMinute: Int = 60

    @Option(help: "A Prometheus scraping the fleet (its up series feed the fleet view).")
    var prometheus: String?

    func validate() throws {
        guard ListenAddress(listen) != nil else { throw ValidationError("--listen: expected HOST:PORT, e.g. 127.0.0.1:9470") }
        guard maxBodyBytes >= 1024, writesPerMinute >= 1 else { throw ValidationError("--max-body-bytes must be ≥ 1024 and --writes-per-minute ≥ 1") }
    }

    func run() async throws {
        try await runMapped {
            let configuration = try configurationOrDefaults(options.config)
            guard let address = ListenAddress(listen) else { return ExitStatus.usage }
            var settings = ServerSettings(workspaceRoot: configuration.root, service: configuration.service, thresholds: configuration.thresholds)
            settings.host = address.host
            settings.port = address.port
            settings.readOnly = readOnly
            settings.maxBodyBytes = maxBodyBytes
            settings.writesPerMinute = writesPerMinute
            settings.prometheusURL = prometheus
            try await withStore(configuration) { store in
                try await AssayServer(settings: settings, store: store).run()
            }
            return 0
        }
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the bearer tokens `assay serve` accepts for writes (stored as SHA-256 only).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token and print its secret once.")

        @OptionGroup var options: ConfigOption

        @Argument(help: "A name for the token (who or what uses it), unique.")
        var name: String

        func run() async throws {
            try await runMapped {
                guard !name.isEmpty, name.count <= 100 else { throw CommandError(message: "token name: expected 1–100 characters", code: ExitStatus.usage) }
                let configuration = try configurationOrDefaults(options.config)
                let secret = TokenSecret.generate()
                try await withStore(configuration) { store in
                    guard try await !store.tokens().contains(where: { $0.name == name }) else {
                        throw CommandError(message: "a token named \(name) exists already", code: ExitStatus.usage)
                    }
                    try await store.saveToken(APIToken(name: name, sha256: TokenSecret.digest(secret), createdAt: Date()))
                }
                print(secret)
                return 0
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (names and dates; secrets are not kept).")

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await runMapped {
                let configuration = try configurationOrDefaults(options.config)
                for token in try await withStore(configuration, { try await $0.tokens() }) {
                    let state = token.revokedAt.map { "revoked \($0.formatted(.iso8601))" } ?? "live"
                    print("\(token.name)  created \(token.createdAt.formatted(.iso8601))  \(state)  sha256:\(token.sha256.prefix(12))")
                }
                return 0
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; the server refuses it from the next request.")

        @OptionGroup var options: ConfigOption

        @Argument(help: "The token's name.")
        var name: String

        func run() async throws {
            try await runMapped {
                let configuration = try configurationOrDefaults(options.config)
                guard try await withStore(configuration, { try await $0.revokeToken(name: name, at: Date()) }) else {
                    throw CommandError(message: "no live token named \(name)", code: ExitStatus.missingInput)
                }
                print("revoked \(name)")
                return 0
            }
        }
    }
}

struct Push: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push a stored audit to an `assay serve` (from CI or an agent host).",
        discussion: "The token comes from --token-file or the ASSAY_TOKEN environment variable. Exit 69 when the server cannot be reached or refuses.")

    @OptionGroup var options: ConfigOption

    @Option(help: "The server's base URL, e.g. http://127.0.0.1:9470.")
    var server: String

    @Option(help: "A file holding the token (default: $ASSAY_TOKEN).")
    var tokenFile: String?

    @Option(help: "Id of the stored audit (default: the latest).")
    var run: String?

    func run() async throws {
        try await runMapped {
            let token: String
            if let tokenFile {
                try requireFile(tokenFile)
                token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } else if let value = ProcessInfo.processInfo.environment["ASSAY_TOKEN"], !value.isEmpty {
                token = value
            } else {
                throw CommandError(message: "no token: pass --token-file or set ASSAY_TOKEN", code: ExitStatus.usage)
            }
            let configuration = try configurationOrDefaults(options.config)
            let stored: AuditRun? = try await withStore(configuration) { store in
                if let run { try await store.run(id: run) } else { try await store.latestRun() }
            }
            guard let stored else {
                throw CommandError(message: run.map { "no stored audit with id \($0)" } ?? "the store holds no audit yet", code: ExitStatus.missingInput)
            }
            do {
                let environment = try BaselineCheck.environmentState(configuration, earlier: stored.layers)
                let url = try await AssayServerClient(baseURL: server, token: token).push(stored, environment: environment)
                print("pushed \(stored.id) (\(stored.judgement.verdict.rawValue)): \(url)")
                return 0
            } catch let error as AssayServerError {
                throw CommandError(message: error.description, code: ExitStatus.unavailable)
            }
        }
    }
}

/// A `HOST:PORT` listen address.
struct ListenAddress {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port),
            colon > text.startIndex
        else { return nil }
        host = String(text[..<colon])
        self.port = port
    }
}
