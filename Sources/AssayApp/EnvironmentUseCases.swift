import AssayConfig
import AssayCore
import AssayEnvironment
import AssayIntegrations
import Foundation

/// `assay env`: lockfiles, digests, manifests, images, DVC outputs and drift.
public enum EnvironmentUseCases {
    public static func lock(_ file: String, kind: String? = nil) throws -> LockOutput {
        try requireFile(file)
        return LockOutput(lock: try LockfileParser.parse(path: file, format: try format(kind: kind)))
    }

    /// The format `--kind` names (nil without one); an unknown one is a usage error listing those read.
    static func format(kind: String?) throws -> LockfileFormat? {
        guard let kind else { return nil }
        guard let format = LockfileFormat(kind: kind) else {
            throw AppError("--kind \(kind): not a format Assay reads (\(LockfileFormat.allCases.map(\.rawValue).joined(separator: ", ")))", code: ExitStatus.usage)
        }
        return format
    }

    /// Raw and canonical digests of configs; raw digests of other files and trees.
    public static func hash(_ paths: [String]) throws -> HashOutput {
        HashOutput(rows: try paths.map { path in
            if ConfigDocument.format(of: path) != nil {
                let document = try ConfigDocument.read(path: path)
                return .init(path: path, sha256: document.rawSHA256, canonicalSHA256: document.canonicalSHA256)
            }
            return .init(path: path, sha256: try TreeDigest.sha256(ofItemAt: path), canonicalSHA256: nil)
        })
    }

    /// DVC outputs against their recorded md5; exits 1 when one differs or is missing.
    public static func dvc(_ files: [String]) throws -> FindingsOutput {
        let cwd = FileManager.default.currentDirectoryPath
        var settings = EnvironmentSettings(workspace: WorkspaceRoot(root: cwd, configurationPath: cwd + "/assay.yaml"))
        settings.registries.dvc = try files.map { file in
            try requireFile(file)
            return absolutePath(file)
        }
        let findings = try Registries.findings(settings)
        return FindingsOutput(title: "DVC outputs", findings: findings, exitCode: findings.allSatisfy { $0.status == .pass } ? 0 : 1) { findings in
            findings.map { "\($0.status == .pass ? "ok  " : "FAIL") \($0.check): \($0.observed) (expected \($0.expected ?? "—"))" }
        }
    }

    public static func diff(_ a: String, _ b: String, gates: [String], threshold: Double?, configuration: Configuration) throws -> DiffOutput {
        DiffOutput(
            report: try EnvironmentDiff(
                gates: gates + configuration.driftGates, thresholdPercent: threshold ?? configuration.thresholds.environment.maxDriftPercent
            ).compare(a, b))
    }

    /// An OCI layout (`DIR` or `DIR:TAG`), a docker save archive, or a registry reference.
    public static func image(_ image: String) async throws -> ImageOutput {
        let (path, tag) = splitTag(image)
        if FileManager.default.fileExists(atPath: path + "/oci-layout") { return ImageOutput(result: try OCILayout.verify(path: path, tag: tag)) }
        if FileManager.default.fileExists(atPath: image) { return ImageOutput(result: try DockerArchive.verify(path: image)) }
        return ImageOutput(result: try await RegistryClient().verify(image))
    }

    /// `dir:tag` for an OCI layout; a registry reference keeps its colon.
    static func splitTag(_ text: String) -> (String, String?) {
        guard let colon = text.lastIndex(of: ":"), !text[..<colon].isEmpty,
            FileManager.default.fileExists(atPath: String(text[..<colon]) + "/oci-layout")
        else { return (text, nil) }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// Lockfiles at the top of `directory` whose format Assay does not read: each named through `warn`; with
    /// `strict`, a refusal (exit 65) naming them all.
    static func unreadLockfiles(in directory: String, strict: Bool, warn: (String) -> Void) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        let unread = names.compactMap { name in LockfileFormat.unread(path: name).map { (name, $0) } }
        for (name, tool) in unread {
            warn("\(directory)/\(name): a \(tool) lockfile, a format Assay does not read yet: hashed as a file, its packages not listed")
        }
        if strict, !unread.isEmpty {
            throw AppError(
                "--strict: \(unread.count) lockfile\(unread.count == 1 ? "" : "s") in \(directory) could not be read: \(unread.map(\.0).joined(separator: ", "))",
                code: ExitStatus.invalidInput)
        }
    }

    /// Writes the manifest of `directory` to `output` (never inside the directory) with the stat cache unless `useCache` is false.
    public static func snapshot(
        _ directory: String, output: String, seed: Int?, useCache: Bool, strict: Bool = false, warn: (String) -> Void
    ) throws -> Lines {
        try requireFile(directory)
        guard EnvironmentDiff.isDirectory(directory) else { throw InputError(path: directory, line: 0, expected: "a directory to snapshot") }
        try unreadLockfiles(in: directory, strict: strict, warn: warn)
        let root = absolutePath(directory)
        let target = absolutePath(output)
        let cache = useCache ? StatCache(path: StatCache.defaultPath(forRoot: root)) : nil
        var manifest = try EnvironmentManifest.snapshot(
            root: root, seed: seed, skip: ["env_manifest.yaml", URL(fileURLWithPath: target).lastPathComponent], cache: cache,
            progress: ProgressReporter())
        manifest.root = root
        try AtomicFile.write(Array(try manifest.yaml().utf8), to: target)
        do {
            try cache?.save()
        } catch {
            warn("stat cache not saved (\(error)); the next snapshot hashes every file")
        }
        return Lines(["Wrote \(output): \(manifest.components.count) components of \(root), \(manifest.digest ?? "")"])
    }

    public static func verify(manifest: String, root: String?) throws -> VerifyOutput {
        try requireFile(manifest)
        let loaded = try EnvironmentManifest.read(path: manifest)
        let directory = root.map(absolutePath) ?? loaded.defaultRoot(manifestPath: absolutePath(manifest))
        let (intact, statuses) = try loaded.verify(root: directory)
        return VerifyOutput(manifest: manifest, root: directory, digest: loaded.digest, intact: intact, components: statuses)
    }

    /// A CycloneDX document written to `output`, or returned as text when `output` is nil. `kind` reads a single
    /// lockfile under any name; a directory's lockfiles of formats Assay does not read are named through `warn`, and
    /// refused with `strict`.
    public static func sbom(_ path: String, output: String?, kind: String? = nil, strict: Bool = false, warn: (String) -> Void = { _ in }) throws -> Lines {
        let directory = EnvironmentDiff.isDirectory(path)
        let format = try format(kind: kind)
        if format != nil, directory { throw AppError("--kind reads one lockfile; \(path) is a directory", code: ExitStatus.usage) }
        if directory { try unreadLockfiles(in: path, strict: strict, warn: warn) }
        let cache = directory ? StatCache(path: StatCache.defaultPath(forRoot: absolutePath(path))) : nil
        let document = try SBOM.document(for: path, format: format, cache: cache)
        try? cache?.save()
        let text = String(decoding: try JSONCoding.encoder(pretty: true).encode(document), as: UTF8.self)
        guard let output else { return Lines([text]) }
        try AtomicFile.write(Array((text + "\n").utf8), to: output)
        let count = document["components"]?.elements?.count ?? 0
        return Lines(["Wrote \(output): CycloneDX \(SBOM.specVersion), \(count) component\(count == 1 ? "" : "s")"])
    }
}

public struct LockOutput: CommandOutput {
    public var lock: Lockfile

    public func encode(to encoder: any Encoder) throws { try lock.encode(to: encoder) }

    public func text() -> String {
        let head = "\(lock.path): \(lock.format.rawValue), \(lock.packages.count) packages, sha256:\(lock.sha256)" + (lock.specHash.map { ", spec hash \($0)" } ?? "")
        return ([head] + lock.packages.map { p in
            let direct = p.direct.map { $0 ? "direct" : "transitive" } ?? ""
            return "  \(p.ecosystem.padded(8)) \(p.key) \(p.version)  \(direct)  \(p.hashes.count) hash\(p.hashes.count == 1 ? "" : "es")"
        }).joined(separator: "\n")
    }

    public func markdown() -> String {
        MarkdownTable(
            ["Ecosystem", "Name", "Version", "Direct", "Hashes"],
            rows: lock.packages.map { [$0.ecosystem, $0.key, $0.version, $0.direct.map { $0 ? "yes" : "no" } ?? "—", String($0.hashes.count)] }
        ).text
    }
}

public struct HashOutput: CommandOutput {
    public struct Row: Encodable {
        public var path: String
        public var sha256: String
        public var canonicalSHA256: String?
        enum CodingKeys: String, CodingKey { case path, sha256, canonicalSHA256 = "canonical_sha256" }
    }

    public var rows: [Row]

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rows)
    }

    public func text() -> String {
        rows.map { "\($0.sha256)  \($0.path)" + ($0.canonicalSHA256.map { "  canonical:\($0)" } ?? "") }.joined(separator: "\n")
    }

    public func markdown() -> String {
        MarkdownTable(["Path", "SHA-256", "Canonical SHA-256"], rows: rows.map { [$0.path, $0.sha256, $0.canonicalSHA256 ?? "—"] }).text
    }
}

public struct DiffOutput: CommandOutput {
    public var report: DriftReport

    public var exitCode: Int32 { report.passes ? 0 : 1 }

    public func encode(to encoder: any Encoder) throws { try report.encode(to: encoder) }

    var summary: [String] {
        var lines: [String] = []
        if let digests = report.manifestDigests {
            lines.append(digests[0] == digests[1] ? "content digests equal: \(digests[0])" : "content digests differ: \(digests[0]) vs \(digests[1])")
        }
        lines += report.categories.map {
            "\($0.category.rawValue): \($0.differing) of \($0.total) differ (\(Formatting.percent($0.percent, digits: 2)))"
        }
        lines.append(
            "coverage \(Formatting.percent(report.coveragePercent, digits: 1)): \(report.components - report.withoutDigest) of \(report.components) components "
                + "have a digest both sides can be checked against (every config key and file; packages whose lockfile records artifact hashes)"
                + (report.withoutDigest > 0 ? "; the other \(report.withoutDigest) are compared by version alone" : ""))
        lines.append(
            "drift \(Formatting.percent(report.overallPercent, digits: 2)) (limit \(Formatting.percent(report.thresholdPercent, digits: 2)))"
                + (report.gatedItems.isEmpty ? "" : ", \(report.gatedItems.count) gated change(s)") + ": \(report.passes ? "IN SYNC" : "OUT OF SYNC")")
        return lines
    }

    public func text() -> String {
        var lines = summary
        lines.insert(contentsOf: report.items.map { "\($0.gated ? "GATED " : "")\($0.category.rawValue): \($0.summary)" }, at: report.manifestDigests == nil ? 0 : 1)
        return lines.joined(separator: "\n")
    }

    public func markdown() -> String {
        "### Environment diff\n\n"
            + MarkdownTable(["Category", "Difference", "Gated"], rows: report.items.map { [$0.category.rawValue, $0.summary, $0.gated ? "yes" : "no"] }).text
            + "\n\n" + summary.map { "- " + $0 }.joined(separator: "\n")
    }
}

public struct ImageOutput: CommandOutput {
    public var result: ImageVerification

    public var exitCode: Int32 { result.valid ? 0 : 2 }

    public func encode(to encoder: any Encoder) throws { try result.encode(to: encoder) }

    public func text() -> String {
        var lines = [
            "\(result.reference) (\(result.source.rawValue)): \(result.valid ? "VALID" : "INVALID")",
            "  manifest digest: \(result.manifestDigest ?? "none")", "  config digest:   \(result.configDigest ?? "none")",
        ]
        lines += result.blobs.map { "  \($0.valid ? "ok     " : "INVALID") \($0.role): \($0.digest)" + ($0.problem.map { " — \($0)" } ?? "") }
        lines += result.notes.map { "  note: \($0)" }
        return lines.joined(separator: "\n")
    }

    public func markdown() -> String {
        "### \(result.reference) (\(result.source.rawValue)): \(result.valid ? "VALID" : "INVALID")\n\n"
            + "- manifest digest: \(result.manifestDigest ?? "none")\n- config digest: \(result.configDigest ?? "none")\n\n"
            + MarkdownTable(["Blob", "Digest", "Valid", "Problem"], rows: result.blobs.map { [$0.role, $0.digest, $0.valid ? "yes" : "no", $0.problem ?? ""] }).text
            + result.notes.map { "\n\nNote: \($0)" }.joined()
    }
}

public struct VerifyOutput: CommandOutput {
    public var manifest: String
    public var root: String
    public var digest: String?
    public var intact: Bool
    public var components: [EnvironmentManifest.ComponentStatus]

    public var exitCode: Int32 { intact && components.allSatisfy { $0.state == .valid } ? 0 : 2 }

    enum CodingKeys: String, CodingKey { case manifest, root, digest, intact = "manifest_intact", components }

    var headline: String {
        "\(manifest): \(intact ? "digest intact" : "EDITED: its digest no longer matches its content") (\(digest ?? "no digest"))"
    }

    public func text() -> String {
        ([headline, "  checked against \(root)"] + components.map { status in
            "  \(status.state.rawValue.padded(10)) \(status.path)"
                + (status.state == .modified ? "  sha256 \(status.expected.prefix(12))… → \(status.observed?.prefix(12) ?? "")…" : "")
        }).joined(separator: "\n")
    }

    public func markdown() -> String {
        "### \(headline)\n\nChecked against \(root).\n\n"
            + MarkdownTable(["Component", "State", "Expected", "Observed"], rows: components.map { [$0.path, $0.state.rawValue, $0.expected, $0.observed ?? "—"] }).text
    }
}
