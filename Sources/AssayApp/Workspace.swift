import AssayConfig
import AssayCore
import AssayPostgres
import AssayStore
import Foundation

/// The configuration and the store a command works on, and the paths it names.
public enum Workspace {
    /// `path` when it was given explicitly or exists; else `assay.yaml` in the nearest parent directory that has
    /// one, as git finds its repository. When there is none, the error says where it looked.
    public static func locate(_ path: String, explicit: Bool) throws -> String {
        guard !explicit, !FileManager.default.fileExists(atPath: path) else { return path }
        var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
        let start = directory.path
        while directory.path != "/" {
            directory.deleteLastPathComponent()
            let candidate = directory.appendingPathComponent("assay.yaml").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        throw AppError(
            "\(path): not found in \(start) or any parent directory; pass --config PATH (assay init writes one)",
            code: ExitStatus.missingInput)
    }

    /// The configuration at `path`, found upward when not given explicitly.
    public static func configuration(_ path: String, explicit: Bool) throws -> Configuration {
        try ConfigLoader.load(path: try locate(path, explicit: explicit))
    }

    /// The configuration when the file exists; otherwise every default, rooted at the working directory.
    public static func configurationOrDefaults(_ path: String) throws -> Configuration {
        if FileManager.default.fileExists(atPath: path) { return try ConfigLoader.load(path: path) }
        let cwd = FileManager.default.currentDirectoryPath
        return Configuration(path: cwd + "/assay.yaml", root: cwd)
    }

    /// Opens the store the configuration names.
    public static func openStore(_ configuration: Configuration) async throws -> any AuditStore {
        switch configuration.store.kind {
        case .sqlite:
            return try Store(path: configuration.resolve(configuration.store.path))
        case .postgres:
            guard let url = configuration.store.url else {
                throw AppError("store kind postgres needs store.url (postgres://user:password@host:port/database)", code: ExitStatus.usage)
            }
            do {
                return try await PostgresStore.connect(url: url)
            } catch let error as StoreError {
                throw AppError(error.description, code: ExitStatus.unavailable)
            }
        }
    }

    /// Runs `body` with the configured store and closes it afterwards, whether `body` throws or not.
    public static func withStore<T>(_ configuration: Configuration, _ body: (any AuditStore) async throws -> T) async throws -> T {
        let store = try await openStore(configuration)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    /// Where the store is, for citing it: its file, or "postgres store".
    public static func storeReference(_ configuration: Configuration) -> String {
        configuration.store.kind == .sqlite ? configuration.resolve(configuration.store.path) : "postgres store"
    }
}

/// A path from the command line, relative to the working directory, made absolute.
public func absolutePath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
}

/// Fails with the documented "missing input" code (66) when a file named on the command line does not exist.
public func requireFile(_ path: String) throws {
    guard FileManager.default.fileExists(atPath: path) else {
        throw AppError("\(path): no such file", code: ExitStatus.missingInput)
    }
}

/// `a,b, c` as ["a", "b", "c"].
public func commaSeparated(_ text: String) -> [String] {
    text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
}
