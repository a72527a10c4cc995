import Foundation

/// A change to the environment of one run, reprotest-style, to find out what the output depends on.
public enum Variation: String, CaseIterable, Sendable, Hashable, Codable {
    /// Another time zone (`TZ`).
    case timezone = "tz"
    /// Another locale (`LANG`, `LC_ALL`, `LANGUAGE`).
    case locale
    /// A fresh, empty `HOME`.
    case home
    /// A different file-creation mask (0002 instead of the inherited one).
    case umask
    /// A different, deeper working-directory path.
    case cwd
    /// Another thread count for the usual knobs (`OMP_NUM_THREADS` and friends).
    case threads
    /// The environment variables in reverse order (every other run gets them sorted).
    case environmentOrder = "env-order"

    public var title: String {
        switch self {
        case .timezone: "time zone (TZ)"
        case .locale: "locale (LANG/LC_ALL)"
        case .home: "home directory (HOME)"
        case .umask: "umask"
        case .cwd: "working-directory path"
        case .threads: "thread count (OMP_NUM_THREADS …)"
        case .environmentOrder: "environment order"
        }
    }

    static let threadVariables = [
        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
        "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "RAYON_NUM_THREADS",
    ]

    /// Applies the variation to a run's environment, argv and working directory.
    func apply(environment: inout [String: String], argv: inout [String], scratch: String) {
        switch self {
        case .timezone:
            environment["TZ"] = environment["TZ"] == "Pacific/Kiritimati" ? "America/Adak" : "Pacific/Kiritimati"
        case .locale:
            let value = environment["LC_ALL"] == "fr_CH.UTF-8" ? "C" : "fr_CH.UTF-8"
            environment["LC_ALL"] = value
            environment["LANG"] = value
            environment["LANGUAGE"] = value.hasPrefix("fr") ? "fr_CH:fr" : "C"
        case .home:
            let home = scratch + "/home"
            try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            environment["HOME"] = home
        case .umask:
            argv = ["/bin/sh", "-c", "umask 0002 && exec \"$@\"", "sh"] + argv
        case .cwd, .environmentOrder:
            break
        case .threads:
            let current = Self.threadVariables.compactMap { environment[$0] }.first.flatMap(Int.init) ?? 0
            let value = current == 1 ? String(max(2, ProcessInfo.processInfo.activeProcessorCount)) : "1"
            for name in Self.threadVariables { environment[name] = value }
        }
    }
}
