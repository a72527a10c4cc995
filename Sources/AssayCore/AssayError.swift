/// The exit statuses every command uses (BSD sysexits for failures of the command itself; 0, 1 and 2 are verdicts).
public enum ExitStatus {
    public static let usage: Int32 = 64
    public static let invalidInput: Int32 = 65
    public static let missingInput: Int32 = 66
    public static let unavailable: Int32 = 69
    public static let internalError: Int32 = 70
    public static let cannotWrite: Int32 = 74
}

/// An error reported to a person: `description` names what failed and where (file, line or byte, what was
/// expected), `exitCode` is what the command exits with. Every input error conforms, so the command line maps
/// errors to exit codes in one place.
public protocol AssayError: Error, CustomStringConvertible {
    var exitCode: Int32 { get }
}

extension InputError: AssayError {
    public var exitCode: Int32 { ExitStatus.invalidInput }
}

extension AtomicFileError: AssayError {
    public var exitCode: Int32 { ExitStatus.cannotWrite }
}

extension TreeDigestError: AssayError {
    public var exitCode: Int32 { ExitStatus.invalidInput }
}

extension FileDigestError: AssayError {
    public var exitCode: Int32 { ExitStatus.missingInput }
}
