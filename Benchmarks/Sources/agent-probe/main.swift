import AssayAgent
import AssayStore
import Foundation

// The agent as `assay agent` runs it, built in release for the benchmark: agent-probe PORT STORE_PATH.
let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 19_469 : 19_469
let store = try Store(path: arguments.count > 2 ? arguments[2] : FileManager.default.temporaryDirectory.path + "/agent-probe.sqlite")
try await Agent.run(host: "127.0.0.1", port: port, settings: AgentSettings(), store: store)
