import AssayCore
import AssayEnvironment
import AssayIntegrations
import Foundation
import AssayTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Against Debian's docker-registry on 127.0.0.1, with an image built by umoci and pushed by skopeo.
enum RegistryTools {
    static var available: Bool { ExternalTool.available(["docker-registry", "umoci", "skopeo"]) }
}

@Suite(.serialized, .enabled(if: RegistryTools.available, "needs docker-registry, umoci and skopeo (.ci/run installs them)"))
struct RegistryTests {
    /// Starts a registry, pushes a one-layer image as `demo/model:v1`; returns the registry's storage path and host.
    static func registryWithImage() async throws -> (storage: String, host: String, stop: @Sendable () -> Void) {
        let directory = try TestFiles.temporaryDirectory("assay-registry")
        try ExternalTool.buildImage(in: directory)
        for _ in 0..<5 {
            let port = Int.random(in: 20_000..<60_000)
            let config = """
                version: 0.1
                log: {level: error}
                storage: {filesystem: {rootdirectory: \(directory)/storage}}
                http: {addr: 127.0.0.1:\(port)}
                """
            try config.write(toFile: directory + "/registry.yml", atomically: true, encoding: .utf8)
            // A watchdog shell ends the registry when this test process is gone, however it exits.
            let registry = Process()
            registry.executableURL = URL(fileURLWithPath: "/bin/sh")
            registry.arguments = [
                "-c", "docker-registry serve \"$0\" & while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; kill -9 -$$",
                directory + "/registry.yml",
            ]
            registry.standardOutput = FileHandle.nullDevice
            registry.standardError = FileHandle.nullDevice
            try registry.run()
            let group = registry.processIdentifier
            let stop: @Sendable () -> Void = { kill(-group, SIGKILL) }
            for _ in 0..<50 {
                if (try? ExternalTool.run(["skopeo", "copy", "--dest-tls-verify=false", "oci:img:latest", "docker://127.0.0.1:\(port)/demo/model:v1"], in: directory)) != nil {
                    return (directory + "/storage", "127.0.0.1:\(port)", stop)
                }
                if !registry.isRunning { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            stop()
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "docker-registry did not start"])
    }

    @Test func tagResolvesToAVerifiedDigestAndATamperedLayerIsCaught() async throws {
        let (storage, host, stop) = try await Self.registryWithImage()
        defer { stop() }
        let clean = try await RegistryClient().verify("\(host)/demo/model:v1")
        #expect(clean.valid, "\(clean.blobs)")
        #expect(clean.blobs.map(\.role) == ["manifest", "config", "layer 0"])
        let digest = try #require(clean.manifestDigest)
        let pinned = try await RegistryClient().verify("\(host)/demo/model@\(digest)")
        #expect(pinned.valid)

        let layer = try #require(clean.blobs.first { $0.role == "layer 0" }).digest.dropFirst(7)
        let data = "\(storage)/docker/registry/v2/blobs/sha256/\(layer.prefix(2))/\(layer)/data"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: data)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: data))
        let tampered = try await RegistryClient().verify("\(host)/demo/model:v1")
        #expect(!tampered.valid)
        #expect(tampered.blobs.first { !$0.valid }?.role == "layer 0")
    }

    @Test func wrongPinAndUnknownTagAreErrors() async throws {
        let (_, host, stop) = try await Self.registryWithImage()
        defer { stop() }
        await #expect(throws: ImageError.self) { try await RegistryClient().verify("\(host)/demo/model:missing") }
        #expect(RegistryClient.Reference("no-slash") == nil)
        #expect(RegistryClient.Reference("127.0.0.1:5000/team/model")?.tag == "latest")
    }
}
