import ArgumentParser
import AssayConfig
import AssayCore
import AssayEnvironment
import AssayIntegrations
import Foundation

struct Env: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Environment integrity: lockfiles, canonical config digests, drift between environments.",
        subcommands: [Snapshot.self, Verify.self, Diff.self, Lock.self, SBOMCommand.self, Hash.self, Image.self, DVC.self])

    struct Lock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a lockfile into normalized rows: ecosystem, name, version, hashes, direct or transitive.")

        @Argument(help: "requirements.txt, Pipfile.lock, poetry.lock, uv.lock, environment.yml, conda-lock.yml, package-lock.json, Cargo.lock, go.sum or Package.resolved.")
        var file: String

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                try requireFile(file)
                let lock = try LockfileParser.parse(path: file)
                switch format {
                case .json:
                    print(String(decoding: try JSONCoding.encoder(pretty: true).encode(lock), as: UTF8.self))
                case .markdown:
                    print("| Ecosystem | Name | Version | Direct | Hashes |\n|---|---|---|---|---|")
                    for p in lock.packages {
                        print("| \(p.ecosystem) | \(p.key) | \(p.version) | \(p.direct.map { $0 ? "yes" : "no" } ?? "—") | \(p.hashes.count) |")
                    }
                case .text:
                    print("\(lock.path): \(lock.format.rawValue), \(lock.packages.count) packages, sha256:\(lock.sha256)"
                        + (lock.specHash.map { ", spec hash \($0)" } ?? ""))
                    for p in lock.packages {
                        let direct = p.direct.map { $0 ? "direct" : "transitive" } ?? ""
                        print("  \(p.ecosystem.padding(toLength: 8, withPad: " ", startingAt: 0)) \(p.key) \(p.version)  \(direct)  \(p.hashes.count) hash\(p.hashes.count == 1 ? "" : "es")")
                    }
                }
                return 0
            }
        }
    }

    struct Hash: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Raw and canonical digests of configs (YAML, JSON, TOML via RFC 8785) and raw digests of other files and trees.",
            discussion: "For artifacts of kind config, approved_sha256 in assay.yaml is the canonical digest this prints.")

        @Argument(help: "Files or directories.")
        var paths: [String]

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                var rows: [[String: String]] = []
                for path in paths {
                    if ConfigDocument.format(of: path) != nil {
                        let document = try ConfigDocument.read(path: path)
                        rows.append(["path": path, "sha256": document.rawSHA256, "canonical_sha256": document.canonicalSHA256])
                    } else {
                        rows.append(["path": path, "sha256": try TreeDigest.sha256(ofItemAt: path)])
                    }
                }
                if format == .json {
                    let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    for row in rows {
                        print("\(row["sha256"] ?? "")  \(row["path"] ?? "")" + (row["canonical_sha256"].map { "  canonical:\($0)" } ?? ""))
                    }
                }
                return 0
            }
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

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                var configuration = Configuration(path: FileManager.default.currentDirectoryPath + "/assay.yaml", root: "/")
                configuration.registries.dvc = try files.map { file in
                    try requireFile(file)
                    return absolutePath(file)
                }
                let findings = try Registries.findings(configuration)
                switch format {
                case .json, .markdown: printFindings(findings, format: format, title: "DVC outputs")
                case .text:
                    for finding in findings {
                        print("\(finding.status == .pass ? "ok  " : "FAIL") \(finding.check): \(finding.observed) (expected \(finding.expected ?? "—"))")
                    }
                }
                return findings.allSatisfy { $0.status == .pass } ? 0 : 1
            }
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

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                let configuration = try configurationOrDefaults(options.config)
                let report = try EnvironmentDiff(
                    gates: gate + configuration.driftGates, thresholdPercent: threshold ?? configuration.thresholds.environment.maxDriftPercent
                ).compare(a, b)
                switch format {
                case .json:
                    print(String(decoding: try JSONCoding.encoder(pretty: true).encode(report), as: UTF8.self))
                case .markdown, .text:
                    if let digests = report.manifestDigests {
                        print(digests[0] == digests[1] ? "content digests equal: \(digests[0])" : "content digests differ: \(digests[0]) vs \(digests[1])")
                    }
                    for item in report.items { print("\(item.gated ? "GATED " : "")\(item.category.rawValue): \(item.summary)") }
                    for category in report.categories {
                        print("\(category.category.rawValue): \(category.differing) of \(category.total) differ (\(Formatting.percent(category.percent, digits: 2)))")
                    }
                    print("coverage \(Formatting.percent(report.coveragePercent, digits: 1)) of components have a verifiable digest")
                    print("drift \(Formatting.percent(report.overallPercent, digits: 2)) (limit \(Formatting.percent(report.thresholdPercent, digits: 2)))"
                        + (report.gatedItems.isEmpty ? "" : ", \(report.gatedItems.count) gated change(s)") + ": \(report.passes ? "IN SYNC" : "OUT OF SYNC")")
                }
                return report.passes ? 0 : 1
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

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                let result: ImageVerification
                let (path, tag) = Self.splitTag(image)
                if FileManager.default.fileExists(atPath: path + "/oci-layout") {
                    result = try OCILayout.verify(path: path, tag: tag)
                } else if FileManager.default.fileExists(atPath: image) {
                    result = try DockerArchive.verify(path: image)
                } else {
                    result = try await RegistryClient().verify(image)
                }
                switch format {
                case .json:
                    print(String(decoding: try JSONCoding.encoder(pretty: true).encode(result), as: UTF8.self))
                case .markdown, .text:
                    print("\(result.reference) (\(result.source.rawValue)): \(result.valid ? "VALID" : "INVALID")")
                    print("  manifest digest: \(result.manifestDigest ?? "none")")
                    print("  config digest:   \(result.configDigest ?? "none")")
                    for blob in result.blobs {
                        print("  \(blob.valid ? "ok     " : "INVALID") \(blob.role): \(blob.digest)" + (blob.problem.map { " — \($0)" } ?? ""))
                    }
                    for note in result.notes { print("  note: \(note)") }
                }
                return result.valid ? 0 : 2
            }
        }

        /// `dir:tag` for an OCI layout; a registry reference keeps its colon.
        static func splitTag(_ text: String) -> (String, String?) {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].isEmpty,
                FileManager.default.fileExists(atPath: String(text[..<colon]) + "/oci-layout")
            else { return (text, nil) }
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
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

        func run() async throws {
            try await runMapped {
                let configuration = try configurationOrDefaults(options.config)
                try requireFile(directory)
                guard EnvironmentDiff.isDirectory(directory) else {
                    throw InputError(path: directory, line: 0, expected: "a directory to snapshot")
                }
                let root = absolutePath(directory)
                let target = absolutePath(output)
                let cache = noCache ? nil : StatCache(path: StatCache.defaultPath(forRoot: root))
                var manifest = try EnvironmentManifest.snapshot(
                    root: root, seed: seed ?? configuration.inference?.seed,
                    skip: ["env_manifest.yaml", URL(fileURLWithPath: target).lastPathComponent], cache: cache, progress: ProgressReporter())
                manifest.root = root
                try AtomicFile.write(Array(try manifest.yaml().utf8), to: target)
                do {
                    try cache?.save()
                } catch {
                    FileHandle.standardError.write(Data("warning: stat cache not saved (\(error)); the next snapshot hashes every file\n".utf8))
                }
                print("Wrote \(output): \(manifest.components.count) components of \(root), \(manifest.digest ?? "")")
                return 0
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

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                try requireFile(manifest)
                let loaded = try EnvironmentManifest.read(path: manifest)
                let directory = root.map(absolutePath) ?? loaded.defaultRoot(manifestPath: absolutePath(manifest))
                let (intact, statuses) = try loaded.verify(root: directory)
                if format == .json {
                    let object: [String: Any] = [
                        "manifest": manifest, "root": directory, "digest": loaded.digest ?? "", "manifest_intact": intact,
                        "components": statuses.map { status -> [String: Any] in
                            ["path": status.path, "state": status.state.rawValue, "expected": status.expected, "observed": status.observed ?? ""]
                        },
                    ]
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
                } else {
                    print("\(manifest): \(intact ? "digest intact" : "EDITED: its digest no longer matches its content") (\(loaded.digest ?? "no digest"))")
                    print("  checked against \(directory)")
                    for status in statuses {
                        print("  \(status.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(status.path)"
                            + (status.state == .modified ? "  sha256 \(status.expected.prefix(12))… → \(status.observed?.prefix(12) ?? "")…" : ""))
                    }
                }
                return intact && statuses.allSatisfy { $0.state == .valid } ? 0 : 2
            }
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

        func run() async throws {
            try await runMapped {
                let cache = EnvironmentDiff.isDirectory(path) ? StatCache(path: StatCache.defaultPath(forRoot: absolutePath(path))) : nil
                let document = try SBOM.document(for: path, cache: cache)
                try? cache?.save()
                let text = String(decoding: try JSONCoding.encoder(pretty: true).encode(document), as: UTF8.self) + "\n"
                if let output {
                    try AtomicFile.write(Array(text.utf8), to: output)
                    let count = document["components"]?.elements?.count ?? 0
                    print("Wrote \(output): CycloneDX \(SBOM.specVersion), \(count) component\(count == 1 ? "" : "s")")
                } else {
                    print(text, terminator: "")
                }
                return 0
            }
        }
    }
}
