/// Where an audited workspace is: the directory configured paths are relative to, and the configuration file
/// that named them (cited as evidence for rows about the configuration itself).
public struct WorkspaceRoot: Sendable, Hashable {
    /// Absolute path of the workspace root.
    public var root: String
    /// Absolute path of the configuration file.
    public var configurationPath: String

    public init(root: String, configurationPath: String) {
        self.root = root
        self.configurationPath = configurationPath
    }

    /// `path` resolved against the root (absolute paths unchanged).
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return root.hasSuffix("/") ? root + path : root + "/" + path
    }

    /// `absolute` relative to the root when it lies under it, for display.
    public func relative(_ absolute: String) -> String {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return absolute.hasPrefix(prefix) ? String(absolute.dropFirst(prefix.count)) : absolute
    }

    /// The configuration file's name, as rows cite it.
    public var configurationName: String {
        configurationPath.split(separator: "/").last.map(String.init) ?? configurationPath
    }
}
