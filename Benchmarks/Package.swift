// swift-tools-version:6.1
// Benchmarks live in their own package so the main build never pays for them:
//   swift run -c release --package-path Benchmarks assay-bench [--quick]
import PackageDescription

let package = Package(
    name: "AssayBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Assay", path: "..")],
    targets: [
        .executableTarget(
            name: "assay-bench",
            dependencies: [
                .product(name: "AssayCore", package: "Assay"),
                .product(name: "AssayLatency", package: "Assay"),
                .product(name: "AssayEnvironment", package: "Assay"),
                .product(name: "AssayProfiling", package: "Assay"),
                .product(name: "AssayCapacity", package: "Assay"),
                .product(name: "AssayIntegrations", package: "Assay"),
                .product(name: "AssayStore", package: "Assay"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "anomaly-calibration",
            dependencies: [.product(name: "AssayCore", package: "Assay"), .product(name: "AssayTelemetry", package: "Assay")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "anomaly-bench",
            dependencies: [.product(name: "AssayCore", package: "Assay"), .product(name: "AssayTelemetry", package: "Assay"), .product(name: "AssayBaseline", package: "Assay"), .product(name: "AssayProfiling", package: "Assay")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "changepoint-bench",
            dependencies: [.product(name: "AssayCore", package: "Assay"), .product(name: "AssayBaseline", package: "Assay")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "agent-probe",
            dependencies: [.product(name: "AssayAgent", package: "Assay"), .product(name: "AssayStore", package: "Assay")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "serve-probe",
            dependencies: [
                .product(name: "AssayServer", package: "Assay"), .product(name: "AssayStore", package: "Assay"),
                .product(name: "AssayCore", package: "Assay"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
