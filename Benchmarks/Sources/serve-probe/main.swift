import AssayCore
import AssayServer
import AssayStore
import Foundation

// `assay serve` as the CLI runs it, built in release for the benchmark: serve-probe PORT STORE_PATH WORKSPACE.
let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 19_470 : 19_470
let store = try Store(path: arguments.count > 2 ? arguments[2] : FileManager.default.temporaryDirectory.path + "/serve-probe.sqlite")
var settings = ServerSettings(workspaceRoot: arguments.count > 3 ? arguments[3] : FileManager.default.currentDirectoryPath, service: "bench")
settings.port = port
try await AssayServer(settings: settings, store: store).run()
