// swift-tools-version:6.1
// libFuzzer targets, one per parser, in their own package so the main build never pays for the instrumentation:
//   bash Fuzz/run.sh [SECONDS]        build every target with -sanitize=fuzzer and run each for SECONDS
import PackageDescription

let fuzzers: [(name: String, products: [String])] = [
    ("trace", ["AssayProfiling"]),
    ("lockfile", ["AssayEnvironment"]),
    ("config", ["AssayConfig"]),
    ("prometheus", ["AssayCore", "AssayTelemetry", "AssayServing"]),
    ("nvidia-smi", ["AssayTelemetry", "AssayIntegrations"]),
    ("latency", ["AssayLatency"]),
    ("oci", ["AssayEnvironment"]),
    ("tar", ["AssayEnvironment"]),
    ("loadtest", ["AssayServing"]),
    ("telemetry", ["AssayTelemetry"]),
    ("ingest", ["AssayServer"]),
]

let package = Package(
    name: "AssayFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Assay", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "AssayCore", package: "Assay")])
    ]
        + fuzzers.map { fuzzer in
            .executableTarget(
                name: "fuzz-\(fuzzer.name)",
                dependencies: ["FuzzSupport"] + fuzzer.products.map { .product(name: $0, package: "Assay") })
        }
)
