import ArgumentParser
import AssayApp
import AssayConfig
import AssayCore
import AssayServer

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

    @Option(
        name: .customLong("allowed-host"),
        help: "A name clients may use in the Host header, besides localhost, 127.0.0.1, [::1] and the --listen host (repeatable; '*' for any). Others get 421.")
    var allowedHosts: [String] = []

    @Option(help: "Seconds a connection may stay idle, or take to send its request head, before it is closed.")
    var idleTimeout: Int = 30

    @Option(help: "Open connections at most (lowered to fit the process's open-file limit).")
    var maxConnections: Int = 1024

    func validate() throws {
        guard ListenAddress(listen) != nil else { throw ValidationError("--listen: expected HOST:PORT, e.g. 127.0.0.1:9470") }
        guard maxBodyBytes >= 1024, writesPerMinute >= 1 else { throw ValidationError("--max-body-bytes must be ≥ 1024 and --writes-per-minute ≥ 1") }
        guard (1...3600).contains(idleTimeout), (16...1_000_000).contains(maxConnections) else {
            throw ValidationError("--idle-timeout must be 1–3600 s and --max-connections 16–1000000")
        }
    }

    func run() async throws {
        try await runMapped {
            let configuration = try options.loadOrDefaults()
            guard let address = ListenAddress(listen) else { return ExitStatus.usage }
            var settings = ServerSettings(workspaceRoot: configuration.root, service: configuration.service, thresholds: configuration.thresholds)
            settings.host = address.host
            settings.port = address.port
            settings.readOnly = readOnly
            settings.maxBodyBytes = maxBodyBytes
            settings.writesPerMinute = writesPerMinute
            settings.prometheusURL = prometheus
            settings.prometheusScrapeInterval = configuration.integrations.prometheusScrapeInterval
            settings.allowedHosts = allowedHosts
            settings.idleTimeoutSeconds = idleTimeout
            settings.maxConnections = maxConnections
            // glibc gives each thread that allocates its own arena and keeps what is freed there: a server whose
            // requests run on many threads grows by arenas, not by what it holds. Two are plenty. And blocks of
            // 1 MiB or more (bodies, rendered reports) are mapped on their own, so freeing one returns it to the
            // system instead of leaving a hole in the heap that the next large body cannot reuse.
            _ = glibcMallopt(-8 /* M_ARENA_MAX */, 2)
            _ = glibcMallopt(-3 /* M_MMAP_THRESHOLD */, 1 << 20)
            try await Workspace.withStore(configuration) { store in
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
            try await runMapped { try emit(try await ServerUseCases.createToken(name, configuration: try options.loadOrDefaults()), .text) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (names and dates; secrets are not kept).")

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await runMapped { try emit(try await ServerUseCases.tokens(configuration: try options.loadOrDefaults()), .text) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; the server refuses it from the next request.")

        @OptionGroup var options: ConfigOption

        @Argument(help: "The token's name.")
        var name: String

        func run() async throws {
            try await runMapped { try emit(try await ServerUseCases.revokeToken(name, configuration: try options.loadOrDefaults()), .text) }
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
            let token = try ServerUseCases.token(file: tokenFile)
            return try emit(
                try await ServerUseCases.push(runID: run, server: server, token: token, configuration: try options.loadOrDefaults()), .text)
        }
    }
}

/// glibc's `mallopt` (malloc.h is not in Swift's Glibc module).
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
