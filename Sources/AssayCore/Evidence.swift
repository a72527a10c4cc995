/// Where a figure came from: a file, the sha256 of its bytes, and where inside it.
public struct Evidence: Sendable, Codable, Hashable {
    /// Path of the file, as the configuration names it (relative to the workspace root where possible).
    public var path: String
    /// Lowercase hex sha256 of the file's bytes when the evidence was taken.
    public var sha256: String
    /// Position inside the file: `#run-id`, a JSON pointer, a line range, a trace event range.
    public var locator: String?
    /// MLflow run the figure belongs to, where one exists.
    public var mlflowRunID: String?
    /// Git commit the figure belongs to, where one exists.
    public var gitCommit: String?

    public init(path: String, sha256: String, locator: String? = nil, mlflowRunID: String? = nil, gitCommit: String? = nil) {
        self.path = path
        self.sha256 = sha256
        self.locator = locator
        self.mlflowRunID = mlflowRunID
        self.gitCommit = gitCommit
    }

    /// Hashes the file at `absolutePath` and cites it as `displayPath`.
    public static func file(
        at absolutePath: String,
        displayPath: String? = nil,
        locator: String? = nil,
        mlflowRunID: String? = nil,
        gitCommit: String? = nil
    ) throws -> Evidence {
        Evidence(
            path: displayPath ?? absolutePath,
            sha256: try FileDigest.sha256(ofFileAt: absolutePath),
            locator: locator,
            mlflowRunID: mlflowRunID,
            gitCommit: gitCommit
        )
    }

    /// The first 12 hex digits of the digest, as tables show it.
    public var shortDigest: String { String(sha256.prefix(12)) }

    /// `path#locator`, the way a table cell cites the evidence.
    public var reference: String {
        if let locator, !locator.isEmpty {
            return locator.hasPrefix("#") ? path + locator : path + "#" + locator
        }
        return path
    }

    enum CodingKeys: String, CodingKey {
        case path, sha256, locator
        case mlflowRunID = "mlflow_run_id"
        case gitCommit = "git_commit"
    }
}
