import Foundation
import AssayTestSupport

#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real MLflow tracking server for the tests: the one `.ci/run` started (ASSAY_TEST_MLFLOW_URL), or one
/// started here from `.venv-mlflow/bin/mlflow` or `mlflow` on PATH, on 127.0.0.1 with `--serve-artifacts`.
actor MLflowTestServer {
    static let shared = MLflowTestServer()
    static let packageRoot = TestFiles.packageRoot

    /// Where the `mlflow` command is, if anywhere.
    static var executable: String? {
        let candidates = [packageRoot + "/.venv-mlflow/bin/mlflow"]
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/mlflow" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether a server can be had. CI sets ASSAY_REQUIRE_SERVICES=1 so that a missing server fails instead of skipping.
    static var available: Bool {
        ProcessInfo.processInfo.environment["ASSAY_TEST_MLFLOW_URL"] != nil || executable != nil
            || ProcessInfo.processInfo.environment["ASSAY_REQUIRE_SERVICES"] == "1"
    }

    private var url: String?
    private var process: Process?

    func start() async throws -> String {
        if let url { return url }
        if let given = ProcessInfo.processInfo.environment["ASSAY_TEST_MLFLOW_URL"] {
            url = given
            return given
        }
        guard let executable = Self.executable else {
            throw CocoaError(.executableNotLoadable, userInfo: [NSLocalizedDescriptionKey: "no mlflow executable"])
        }
        let port = Int.random(in: 30_000..<60_000)
        let directory = try TestFiles.temporaryDirectory("assay-mlflow")
        // A watchdog shell owns the server: when this test process is gone (however it exits), it ends the
        // server's whole process group (uvicorn workers and job consumers included).
        let arguments = [
            "server", "--host", "127.0.0.1", "--port", String(port), "--workers", "1",
            "--backend-store-uri", "sqlite:///\(directory)/mlflow.db", "--serve-artifacts",
            "--artifacts-destination", directory + "/artifacts",
        ]
        let watchdog = "\"$0\" \"$@\" & while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; kill -9 -$$"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", watchdog, executable] + arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process = process
        let base = "http://127.0.0.1:\(port)"
        for _ in 0..<240 {
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: base + "/health")!),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                url = base
                return base
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        process.terminate()
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "mlflow server did not start within 60 s"])
    }
}
