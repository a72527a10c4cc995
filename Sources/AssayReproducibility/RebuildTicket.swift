import AssayCore
import Foundation

/// `rebuild_ticket.md`: what did not reproduce, the evidence, how to reproduce it, and the usual fixes.
public enum RebuildTicket {
    public static func render(
        _ entry: ReproEntry, settings: ReproSettings, logPath: String, logSHA256: String, environmentIssues: [String] = []
    ) -> String {
        var lines: [String] = []
        lines.append("# Rebuild ticket — \(settings.service): outputs do not reproduce")
        lines.append("")
        lines.append("Raised by Assay from reproducibility check `\(entry.id)` at \(entry.recordedAt.formatted(.iso8601)).")
        lines.append("Evidence: `\(logPath)#\(entry.id)` (sha256 `\(logSHA256)`).")
        lines.append("")
        lines.append("## Affected modules")
        lines.append("")
        let failures = entry.runs.compactMap(\.failure)
        for failure in failures { lines.append("- Command: \(failure)") }
        for difference in entry.differences { lines.append("- Output \(difference.summary)") }
        for run in entry.runs {
            for (output, digest) in run.outputs.sorted(by: { $0.key < $1.key }) where digest == nil {
                lines.append("- Output \(output): missing after run \(run.index)")
            }
        }
        if failures.isEmpty, entry.differences.isEmpty { lines.append("- stdout differs between runs") }
        for issue in environmentIssues { lines.append("- Environment: \(issue)") }
        if let digest = entry.environmentManifestSHA256 { lines.append("- Environment manifest of these runs: sha256 `\(digest)`") }
        lines.append("")
        lines.append("## Runs")
        lines.append("")
        let outputs = entry.runs.first.map { $0.outputs.keys.sorted() } ?? []
        lines.append("| Run | Variation | Exit | Duration (s) | " + (outputs + ["stdout"]).map { "\($0) sha256" }.joined(separator: " | ") + " |")
        lines.append("|" + String(repeating: "---|", count: 4 + outputs.count + 1))
        for run in entry.runs {
            let exit = run.failure.map { _ in run.exitCode.map(String.init) ?? "—" } ?? "0"
            let digests = outputs.map { name in (run.outputs[name] ?? nil).map { "`\($0.prefix(16))`" } ?? "missing" }
            let stdout = run.stdoutSHA256.map { "`\($0.prefix(16))`" } ?? "—"
            lines.append(
                "| \(run.index) | \(run.variation?.title ?? "—") | \(exit) | \(run.durationSeconds.formatted(.number.precision(.fractionLength(3)))) | "
                    + (digests + [stdout]).joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append("## Steps to reproduce")
        lines.append("")
        lines.append("```sh")
        lines.append("cd \(shellQuote(settings.workspace.root))")
        for (key, value) in settings.inference.environment.sorted(by: { $0.key < $1.key }) {
            lines.append("export \(key)=\(shellQuote(value))")
        }
        lines.append("for run in 1 2; do")
        lines.append("  out=$(mktemp -d) && (cd \"$out\" && \(entry.command.map { $0 == "{output}" ? "\"$out\"" : shellQuote($0).replacingOccurrences(of: "{output}", with: "'\"$out\"'") }.joined(separator: " ")))")
        lines.append("  sha256sum \"$out\"/*")
        lines.append("done")
        lines.append("```")
        lines.append("")
        lines.append("Or: `assay repro run --config \(settings.workspace.configurationPath)`.")
        lines.append("")
        lines.append("## Known sources of nondeterminism and their fixes")
        lines.append("")
        lines.append(contentsOf: knownFixes.map { "- \($0)" })
        lines.append("")
        if environmentIssues.isEmpty {
            lines.append("No environment component differed from its approved checksum when this ran (see ENVIRONMENT INTEGRITY in the audit report).")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let knownFixes = [
        "Unseeded or time-seeded random generators: seed every generator (Python `random`, NumPy, PyTorch CPU and CUDA, TensorFlow) from the configured seed.",
        "Python hash randomization: set `PYTHONHASHSEED=0`.",
        "cuBLAS workspace reuse: set `CUBLAS_WORKSPACE_CONFIG=:4096:8` (or `:16:8`).",
        "Framework determinism flags: `torch.use_deterministic_algorithms(True)`, `torch.backends.cudnn.benchmark = False`, `torch.backends.cudnn.deterministic = True`; TensorFlow `TF_DETERMINISTIC_OPS=1` or `tf.config.experimental.enable_op_determinism()`.",
        "Thread counts change reduction order: pin `OMP_NUM_THREADS`, `MKL_NUM_THREADS`, `OPENBLAS_NUM_THREADS`, `torch.set_num_threads`.",
        "Wall-clock values, hostnames, absolute paths or dictionary iteration order written into outputs: remove them or sort them.",
        "Atomic adds in GPU kernels (scatter, index_add, some convolutions' backward): use deterministic variants.",
    ]

    static func shellQuote(_ text: String) -> String {
        if text.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=@{}".contains($0) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
