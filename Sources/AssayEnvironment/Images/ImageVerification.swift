import AssayCore
import Foundation

/// The outcome of checking one container image: its identity and every blob that was checked.
public struct ImageVerification: Sendable, Hashable, Codable {
    public enum Source: String, Sendable, Hashable, Codable {
        case ociLayout = "oci-layout"
        case dockerArchive = "docker-archive"
        case registry
    }

    /// One blob (manifest, config or layer) and whether its bytes match its digest.
    public struct Blob: Sendable, Hashable, Codable {
        public var role: String
        public var digest: String
        public var sizeBytes: Int?
        public var valid: Bool
        /// What was wrong, when not valid.
        public var problem: String?

        public init(role: String, digest: String, sizeBytes: Int?, valid: Bool, problem: String?) {
            self.role = role
            self.digest = digest
            self.sizeBytes = sizeBytes
            self.valid = valid
            self.problem = problem
        }
    }

    public var source: Source
    public var reference: String
    /// The registry manifest digest (what `image@sha256:…` pins). A `docker save` archive holds no registry
    /// manifest, so it is nil there, never invented.
    public var manifestDigest: String?
    /// The image config digest (the image id `docker images` shows).
    public var configDigest: String?
    /// Uncompressed layer digests from the config (`rootfs.diff_ids`).
    public var diffIDs: [String]
    public var blobs: [Blob]
    /// Notes such as "no registry manifest digest in a docker save archive".
    public var notes: [String]

    public var valid: Bool { !blobs.isEmpty && blobs.allSatisfy(\.valid) }

    enum CodingKeys: String, CodingKey {
        case source, reference, blobs, notes, valid
        case manifestDigest = "manifest_digest"
        case configDigest = "config_digest"
        case diffIDs = "diff_ids"
    }

    public init(
        source: Source, reference: String, manifestDigest: String? = nil, configDigest: String? = nil, diffIDs: [String] = [],
        blobs: [Blob] = [], notes: [String] = []
    ) {
        self.source = source
        self.reference = reference
        self.manifestDigest = manifestDigest
        self.configDigest = configDigest
        self.diffIDs = diffIDs
        self.blobs = blobs
        self.notes = notes
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(reference, forKey: .reference)
        try c.encodeIfPresent(manifestDigest, forKey: .manifestDigest)
        try c.encodeIfPresent(configDigest, forKey: .configDigest)
        try c.encode(diffIDs, forKey: .diffIDs)
        try c.encode(blobs, forKey: .blobs)
        try c.encode(notes, forKey: .notes)
        try c.encode(valid, forKey: .valid)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            source: try c.decode(Source.self, forKey: .source), reference: try c.decode(String.self, forKey: .reference),
            manifestDigest: try c.decodeIfPresent(String.self, forKey: .manifestDigest),
            configDigest: try c.decodeIfPresent(String.self, forKey: .configDigest),
            diffIDs: try c.decode([String].self, forKey: .diffIDs), blobs: try c.decode([Blob].self, forKey: .blobs),
            notes: try c.decode([String].self, forKey: .notes))
    }
}

/// An image that cannot be read at all (as opposed to one whose blobs do not match).
public struct ImageError: Error, Sendable, CustomStringConvertible, Equatable {
    public var reference: String
    public var problem: String

    public init(reference: String, problem: String) {
        self.reference = reference
        self.problem = problem
    }

    public var description: String { "\(reference): \(problem)" }
}

extension ImageError: AssayError {
    public var exitCode: Int32 { ExitStatus.invalidInput }
}
