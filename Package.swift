// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Assay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "assay", targets: ["assay"]),
        .executable(name: "assay-agent", targets: ["assay-agent"]),
        .executable(name: "assay-example", targets: ["assay-example"]),
        .library(name: "AssayCore", targets: ["AssayCore"]),
        .library(name: "AssayConfig", targets: ["AssayConfig"]),
        .library(name: "AssayStore", targets: ["AssayStore"]),
        .library(name: "AssayPostgres", targets: ["AssayPostgres"]),
        .library(name: "AssayReport", targets: ["AssayReport"]),
        .library(name: "AssayEnvironment", targets: ["AssayEnvironment"]),
        .library(name: "AssayReproducibility", targets: ["AssayReproducibility"]),
        .library(name: "AssayLatency", targets: ["AssayLatency"]),
        .library(name: "AssayIntegrations", targets: ["AssayIntegrations"]),
        .library(name: "AssayTelemetry", targets: ["AssayTelemetry"]),
        .library(name: "AssayProfiling", targets: ["AssayProfiling"]),
        .library(name: "AssayBaseline", targets: ["AssayBaseline"]),
        .library(name: "AssayCapacity", targets: ["AssayCapacity"]),
        .library(name: "AssayAudit", targets: ["AssayAudit"]),
        .library(name: "AssayAgent", targets: ["AssayAgent"]),
        .library(name: "AssayServer", targets: ["AssayServer"]),
        .library(name: "AssayServing", targets: ["AssayServing"]),
        .library(name: "AssaySchedule", targets: ["AssaySchedule"]),
        .library(name: "AssayApp", targets: ["AssayApp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // Domain model: evidence, findings, layer results, verdict rules, thresholds, file digests, atomic writes.
        .target(
            name: "AssayCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // `assay.yaml`: parsing with file:line errors, defaults, the commented template.
        .target(
            name: "AssayConfig",
            dependencies: ["AssayCore", "AssayEnvironment", "AssayLatency", "AssayReproducibility", "Yams"],
            swiftSettings: swiftSettings
        ),
        // The store layer: the `AuditStore` protocol, its records and errors, and the embedded SQLite store (GRDB) with
        // its migrations: runs, layer results, findings, evidence, history, samples, tokens.
        .target(
            name: "AssayStore",
            dependencies: ["AssayCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL store (postgres-nio's PostgresClient pool), same migrations and answers as SQLite. Only the
        // binaries that offer a PostgreSQL store link it.
        .target(
            name: "AssayPostgres",
            dependencies: ["AssayCore", "AssayStore", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        // The audit report: Markdown, JSON (versioned schema) and self-contained HTML.
        .target(
            name: "AssayReport",
            dependencies: ["AssayCore"],
            resources: [.copy("Schema")],
            swiftSettings: swiftSettings
        ),
        // Environment integrity: artifact and tree digests against approved checksums.
        .target(
            name: "AssayEnvironment",
            dependencies: ["AssayCore", "Yams", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Reproducibility: same seed, N runs, output digests, localized differences, rebuild ticket.
        .target(
            name: "AssayReproducibility",
            dependencies: ["AssayCore", .product(name: "CSV", package: "CSV.swift")],
            swiftSettings: swiftSettings
        ),
        // Latency: per-stage statistics from request logs, seeded bootstrap comparisons.
        .target(
            name: "AssayLatency",
            dependencies: ["AssayCore", .product(name: "CSV", package: "CSV.swift")],
            swiftSettings: swiftSettings
        ),
        // Clients of the services Assay talks to (MLflow tracking server), and nvidia-smi's XML (FoundationXML, so
        // libxml2 stays out of the agent). The only library module on NIO.
        .target(
            name: "AssayIntegrations",
            dependencies: [
                "AssayBaseline", "AssayCapacity", "AssayCore", "AssayConfig", "AssayEnvironment", "AssayReproducibility", "AssayTelemetry",
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Resources: /proc collectors, telemetry logs, utilization and anomaly rows.
        .target(
            name: "AssayTelemetry",
            dependencies: ["AssayBaseline", "AssayCore"],
            swiftSettings: swiftSettings
        ),
        // The system zlib, for gzip-compressed traces.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Profiler traces (Chrome trace format): a streaming scanner and time attribution.
        .target(
            name: "AssayProfiling",
            dependencies: ["AssayCore", "AssayLatency", "CZlib", .product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: swiftSettings
        ),
        // Runs the configured layers in order and assembles the audit.
        // Baseline: rolling baselines, regression rules, change points (E-divisive + t-test), environment correlation.
        .target(
            name: "AssayBaseline",
            dependencies: ["AssayCore"],
            swiftSettings: swiftSettings
        ),
        // Capacity: measured load steps, the knee, queueing models (Erlang C, USL) and traffic projections.
        .target(
            name: "AssayCapacity",
            dependencies: ["AssayCore"],
            swiftSettings: swiftSettings
        ),
        // The long-running agent: 1 Hz host sampling into the store with retention, /metrics for Prometheus.
        .target(
            name: "AssayAgent",
            dependencies: [
                "AssayCore", "AssayTelemetry", "AssayStore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Inference servers' own metrics (Triton, vLLM, TorchServe) and load-test results (perf_analyzer, wrk, Locust).
        .target(name: "AssayServing", dependencies: ["AssayCore"], swiftSettings: swiftSettings),
        // `assay schedule`: when jobs are due (periods, watched files), what changed between runs, the state and its lock.
        .target(name: "AssaySchedule", dependencies: ["AssayCore"], swiftSettings: swiftSettings),
        // `assay serve`: dashboard, REST API (OpenAPI document shipped), token-authenticated ingest, fleet view.
        .target(
            name: "AssayServer",
            dependencies: [
                "AssayCore", "AssayStore", "AssayReport", "AssayBaseline", "AssayProfiling", "AssayIntegrations", "AssayTelemetry",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/openapi.json")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AssayAudit",
            dependencies: [
                "AssayCore", "AssayConfig", "AssayEnvironment", "AssayReproducibility", "AssayLatency", "AssayTelemetry", "AssayProfiling",
                "AssayBaseline", "AssayCapacity", "AssayServing",
            ],
            swiftSettings: swiftSettings
        ),
        // The application layer `audit`, `schedule`, `watch`, `loadtest import` and every other command share: each
        // use case takes typed inputs and returns an Encodable result that renders as text, JSON or Markdown.
        .target(
            name: "AssayApp",
            dependencies: [
                "AssayCore", "AssayConfig", "AssayStore", "AssayPostgres", "AssayReport", "AssayAudit", "AssayEnvironment",
                "AssayReproducibility", "AssayIntegrations", "AssayLatency", "AssayTelemetry", "AssayProfiling", "AssayBaseline",
                "AssayCapacity", "AssayServing", "AssaySchedule",
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The agent's options and run, shared by `assay agent` and `assay-agent`.
        .target(
            name: "AssayAgentCommand",
            dependencies: [
                "AssayAgent", "AssayConfig", "AssayCore", "AssayStore", "AssayTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // The slim agent for inference hosts: sampling, the SQLite store and /metrics; no PostgreSQL, MLflow or server.
        .executableTarget(
            name: "assay-agent",
            dependencies: [
                "AssayAgentCommand", "AssayConfig", "AssayCore", "AssayStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["hot-symbols.txt"],  // the link order scripts/build-agent gives lld
            swiftSettings: swiftSettings
        ),
        // The command-line tool: parses arguments, calls one AssayApp use case, prints its result.
        .executableTarget(
            name: "assay",
            dependencies: [
                "AssayApp", "AssayAgentCommand", "AssayCore", "AssayConfig", "AssayStore", "AssayReport", "AssayAudit", "AssayEnvironment",
                "AssayReproducibility", "AssayIntegrations", "AssayLatency", "AssayTelemetry", "AssayProfiling", "AssayBaseline",
                "AssayCapacity", "AssayAgent", "AssayServer", "AssayServing", "AssaySchedule",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // Example inference service audited by the README's first command.
        .target(
            name: "ExampleInference",
            dependencies: ["AssayCore"],
            path: "Examples/InferenceService/Sources/ExampleInference",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "assay-example",
            dependencies: [
                "ExampleInference",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Examples/InferenceService/Sources/assay-example",
            swiftSettings: swiftSettings
        ),

        // Helpers the tests share: finding and running the real tools they drive.
        .target(name: "AssayTestSupport", path: "Tests/AssayTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayAppTests", dependencies: ["AssayApp", "AssayBaseline", "AssayConfig", "AssayCore", "AssayStore", "AssayTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(name: "AssayCoreTests", dependencies: ["AssayTestSupport", "AssayCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayConfigTests", dependencies: ["AssayTestSupport", "AssayConfig", "AssayEnvironment", "AssayReproducibility"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayEnvironmentTests",
            dependencies: ["AssayEnvironment", "AssayTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssayReproducibilityTests", dependencies: ["AssayTestSupport", "AssayReproducibility"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayIntegrationsTests",
            dependencies: [
                "AssayIntegrations", "AssayBaseline", "AssayConfig", "AssayEnvironment", "AssayReproducibility", "AssayTelemetry", "AssayTestSupport",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayBaselineTests", dependencies: ["AssayBaseline", "AssayPostgres", "AssayStore", "AssayTestSupport"], resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayHardeningTests",
            dependencies: ["AssayTestSupport", "AssayCore", "AssayEnvironment", "AssayLatency", "AssayProfiling", "AssayTelemetry", "AssayServing"],
            swiftSettings: swiftSettings),
        .testTarget(name: "AssayCapacityTests", dependencies: ["AssayTestSupport", "AssayCapacity", "AssayCore"], swiftSettings: swiftSettings),
        .testTarget(name: "AssayLatencyTests", dependencies: ["AssayLatency", "AssayTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayTelemetryTests", dependencies: ["AssayTestSupport", "AssayTelemetry"], resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayProfilingTests", dependencies: ["AssayTestSupport", "AssayProfiling"], resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayStoreTests",
            dependencies: [
                "AssayPostgres", "AssayStore", "AssayTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssayReportTests",
            dependencies: ["AssayReport", "AssayTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssayAuditTests",
            dependencies: ["AssayTestSupport", "AssayAudit", "AssayConfig", "AssayEnvironment", "AssayLatency", "AssayReproducibility", "AssayReport", "AssayStore", "AssayTelemetry"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssayCLITests",
            dependencies: ["assay", "assay-agent", "AssayCapacity", "AssayCore", "AssayIntegrations", "AssayStore", "AssayTelemetry", "AssayTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayServerTests",
            dependencies: [
                "AssayServer", "AssayStore", "AssayCore", "AssayTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["Fixtures"],  // read from the checkout by path (the fuzzer seeds from it too), not bundled
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AssayServingTests", dependencies: ["AssayTestSupport", "AssayServing", "AssayCore"], resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(name: "AssayScheduleTests", dependencies: ["AssayTestSupport", "AssaySchedule", "AssayCore"], swiftSettings: swiftSettings),
        .testTarget(name: "ExampleInferenceTests", dependencies: ["AssayTestSupport", "ExampleInference"], swiftSettings: swiftSettings),
    ]
)
