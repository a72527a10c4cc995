import ArgumentParser
import AssayApp
import AssayConfig
import AssayReproducibility
import Foundation

struct Env: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Environment integrity: lockfiles, canonical config digests, drift between environments.",
        subcommands: [Snapshot.self, Verify.self, Diff.self, Lock.self, SBOMCommand.self, Hash.self, Image.self, DVC.self])

    struct Lock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a lockfile into normalized rows: ecosystem, name, version, hashes, direct or transitive.")

        @Argument(help: "requirements.txt, Pipfile.lock, poetry.lock, uv.lock, environment.yml, conda-lock.yml, package-lock.json, Cargo.lock, go.sum, Package.resolved, yarn.lock (v1 and Berry), pnpm-lock.yaml (v6, v9), pylock.toml or pdm.lock.")
        var file: String

        @Option(help: "Read FILE as this format whatever its name (a file name such as Cargo.lock, or cargo, pip, poetry, uv, conda, conda-lock, npm, go, swiftpm, yarn, pnpm, pylock, pdm).")
        var kind: String?

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped { try emit(try EnvironmentUseCases.lock(file, kind: kind), formatting.format) }
        }
    }

    struct Hash: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Raw and canonical digests of configs (YAML, JSON, TOML via RFC 8785) and raw digests of other files and trees.",
            discussion: "For artifacts of kind config, approved_sha256 in assay.yaml is the canonical digest this prints.")

        @Argument(help: "Files or directories.")
        var paths: [String]

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped { try emit(try EnvironmentUseCases.hash(paths), formatting.format) }
        }
    }

    struct DVC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dvc",
            abstract: "Check deployed data and models against the md5 in DVC files (*.dvc, dvc.lock).",
            discussion: """
                Each output's path is relative to its DVC file. Files are hashed as DVC 3 does (md5; DVC 2's \
                md5-dos2unix when the output has no hash: field), directories as DVC's <md5>.dir. Exits 0 when \
                every output matches, 1 when one differs or is missing.
                """)

        @Argument(help: "DVC files.")
        var files: [String]

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped { try emit(try EnvironmentUseCases.dvc(files), formatting.format) }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Name every difference between two environments and measure the drift.",
            discussion: """
                A and B are lockfiles, configs, files, directories (e.g. staging and production), two \
                env_manifest.yaml files (compared by content digest, then component by component) or two CycloneDX \
                SBOMs. Dependencies \
                are compared by package (numpy 1.24.3 vs 1.24.2), configs by key (config.yaml /batch_size 8 → 16), \
                other files by digest. Drift is the share of differing components per category (dependencies, \
                configs, files); the overall drift is their mean, each category weighing the same. Exits 0 within \
                the threshold (thresholds.environment.max_drift_percent, default 0.5%) with no gated change, 1 otherwise.
                """)

        @OptionGroup var options: ConfigOption

        @Argument(help: "The first environment (e.g. staging).")
        var a: String

        @Argument(help: "The second environment (e.g. production).")
        var b: String

        @Option(help: "A package name, path glob or 'file /pointer' that fails the diff whenever it changes (repeatable).")
        var gate: [String] = []

        @Option(help: "Drift threshold in percent (default: thresholds.environment.max_drift_percent).")
        var threshold: Double?

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped {
                let configuration = try options.loadOrDefaults()
                return try emit(try EnvironmentUseCases.diff(a, b, gates: gate, threshold: threshold, configuration: configuration), formatting.format)
            }
        }
    }
}

extension Env {
    struct Image: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a container image: an OCI layout directory, a docker save archive, or a registry reference.",
            discussion: """
                OCI layout: index → manifest → config → layers, every blob's sha256 equal to its name. docker save \
                archive: read without extracting (entries with .., absolute paths or escaping links are refused); \
                config digest and layer diff_ids checked; it holds no registry manifest digest and says so. \
                Registry (host[:port]/repo[:tag|@digest]): tag → digest over the OCI distribution API, manifest \
                body hash checked, every blob downloaded and hashed. Exits 0 when every blob matches, 2 otherwise.
                """)

        @Argument(help: "OCI layout directory (optionally DIR:TAG), docker save .tar, or registry reference.")
        var image: String

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped { try emit(try await EnvironmentUseCases.image(image), formatting.format) }
        }
    }
}

extension Env {
    struct Snapshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write env_manifest.yaml: every top-level file and directory of DIR with its digest, the runtime and the seed.",
            discussion: """
                Lockfiles are recorded with their package count, configs with their canonical digest, directories as \
                tree digests (datasets, models), OCI layouts by manifest digest. The manifest is content-addressed: \
                its `digest` covers the components, runtime and seed, so an unchanged environment gives the same \
                digest on any machine at any time; created_at, host and root are recorded outside it. Nothing is \
                written inside DIR: the manifest goes to the working directory unless --output says otherwise, and \
                the stat cache that makes a re-snapshot of unchanged files fast lives under $XDG_CACHE_HOME/assay.
                """)

        @OptionGroup var options: ConfigOption

        @Argument(help: "The environment's directory.")
        var directory: String

        @Option(name: .shortAndLong, help: "Where to write the manifest (default: ./env_manifest.yaml).")
        var output: String = "env_manifest.yaml"

        @Option(help: "Seed to record (default: workspace.inference.seed when configured).")
        var seed: Int?

        @Flag(help: "Hash every file, without reading or writing the stat cache.")
        var noCache = false

        @Flag(help: "Exit 65 when DIR holds a lockfile whose format Assay does not read (it is named either way).")
        var strict = false

        func run() async throws {
            try await runMapped {
                let configuration = try options.loadOrDefaults()
                return try emit(
                    try EnvironmentUseCases.snapshot(
                        directory, output: output, seed: seed ?? configuration.inference?.seed, useCache: !noCache, strict: strict,
                        warn: { Terminal.warning($0) }),
                    .text)
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash every component of an env_manifest.yaml: Valid, Modified, Missing or Unverified.",
            discussion: "Exits 0 when the manifest is intact and every component is valid, 2 otherwise.")

        @Argument(help: "The manifest.")
        var manifest: String

        @Option(help: "The environment's directory (default: the root recorded in the manifest when it exists, else the manifest's directory).")
        var root: String?

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped { try emit(try EnvironmentUseCases.verify(manifest: manifest, root: root), formatting.format) }
        }
    }
}

extension Env {
    struct SBOMCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sbom",
            abstract: "Write a CycloneDX 1.5 JSON SBOM of a lockfile or an environment directory.",
            discussion: """
                Packages carry their version, purl and hashes; local, VCS and URL dependencies their source and \
                whether they are pinned (properties assay:source, assay:unpinned). For a directory, its image, \
                model, dataset and file components are listed with their SHA-256, and the packages of each \
                top-level lockfile. The serial number is derived from the content.
                """)

        @Argument(help: "A lockfile or an environment directory.")
        var path: String

        @Option(name: .shortAndLong, help: "Where to write the SBOM (default: standard output).")
        var output: String?

        @Option(help: "Read PATH as this lockfile format whatever its name (Cargo.lock, requirements.txt, poetry.lock, … or cargo, pip, poetry, uv, conda, conda-lock, npm, go, swiftpm, yarn, pnpm, pylock, pdm).")
        var kind: String?

        @Flag(help: "Exit 65 when the directory holds a lockfile whose format Assay does not read (Gemfile.lock, composer.lock, bun.lock, …).")
        var strict = false

        func run() async throws {
            try await runMapped {
                try emit(try EnvironmentUseCases.sbom(path, output: output, kind: kind, strict: strict, warn: { Terminal.warning($0) }), .text)
            }
        }
    }
}
