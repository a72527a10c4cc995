import Foundation

/// A fresh, empty database on the PostgreSQL server named by `ASSAY_TEST_POSTGRES_URL` (started by `.ci/run`,
/// a role allowed to create databases), for one test.
public enum PostgresTestDatabase {
    public static var serverURL: String? { ProcessInfo.processInfo.environment["ASSAY_TEST_POSTGRES_URL"] }

    /// Whether the server is configured, or CI demands it (then a missing server fails the test).
    public static var available: Bool {
        serverURL != nil || ProcessInfo.processInfo.environment["ASSAY_REQUIRE_SERVICES"] == "1"
    }

    /// Creates `assay_test_<random>` with psql and returns its URL.
    public static func create() throws -> String {
        guard let server = serverURL, var components = URLComponents(string: server) else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "ASSAY_TEST_POSTGRES_URL is not set"])
        }
        let name = "assay_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        try ExternalTool.run(["psql", server, "-q", "-c", "CREATE DATABASE \(name)"], in: FileManager.default.temporaryDirectory.path)
        components.path = "/" + name
        return components.string ?? server
    }
}
