import AssayCore

/// A configuration problem, located at a file, line and key.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String
    /// 1-based line, 0 when the problem concerns the whole file.
    public var line: Int
    public var column: Int
    /// Dotted key path, e.g. `thresholds.resources.cpu_percent`.
    public var key: String
    public var message: String

    public init(file: String, line: Int, column: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line > 0 ? "\(file):\(line):\(column)" : file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}

extension ConfigError: AssayError {
    public var exitCode: Int32 { line == 0 && message == "cannot read the file" ? ExitStatus.missingInput : ExitStatus.invalidInput }
}
