import AssayBaseline
import AssayCore
import AssayStore
import Foundation

/// A pushed audit read without holding it decoded all at once: the body's structure is scanned for each
/// finding's bytes, the run and its layers are decoded with their findings left out (the "skeleton"), and each
/// finding is decoded when it is checked and again when it is stored. A run of 100,000 findings then costs its
/// body and one finding at a time, not the body plus every finding as Swift values plus their rows. A body of at
/// most `wholeLimit` bytes (every audit Assay itself writes) is decoded whole, once, which is faster.
struct PushedRunBody: Sendable {
    /// The run with every layer's findings empty, and the environment state the body carried.
    var skeleton: AuditRun
    var environmentState: EnvironmentState?
    /// Byte ranges of each layer's findings in `bytes`, in the layers' order in `skeleton`.
    let findingRanges: [[Range<Int>]]
    let bytes: [UInt8]
    /// The run with its findings, for a body small enough to decode at once.
    let whole: AuditRun?
    static let wholeLimit = 1 << 20

    struct Malformed: Error, CustomStringConvertible {
        var offset: Int
        var expected: String
        var description: String { "at byte \(offset): expected \(expected)" }
    }

    init(bytes: [UInt8]) throws {
        self.bytes = bytes
        let scanner = JSONStructureScanner(bytes: bytes)
        let top = try scanner.object(at: scanner.skipSpace(0), path: "top level")
        guard scanner.skipSpace(top.end) == bytes.count else { throw Malformed(offset: top.end, expected: "the end of the body after the run") }
        // Each layer's findings, and where its findings array lies (to cut from the skeleton). The walk also
        // refuses a member given twice at the top level or in a layer.
        var ranges: [[Range<Int>]] = []
        var arrays: [Range<Int>] = []
        for member in top.members where member.name == "layers" && bytes[member.value.lowerBound] == UInt8(ascii: "[") {
            for (layerIndex, layer) in try scanner.array(member.value, path: "layers").enumerated() {
                let object = try scanner.object(at: layer.lowerBound, path: "layers[\(layerIndex)]")
                var findings: [Range<Int>] = []
                for field in object.members where field.name == "findings" && bytes[field.value.lowerBound] == UInt8(ascii: "[") {
                    findings = try scanner.array(field.value, path: "layers[\(layerIndex)].findings")
                    arrays.append(field.value)
                }
                ranges.append(findings)
            }
        }
        let decoded: API.PushedRun
        if bytes.count <= Self.wholeLimit {
            decoded = try JSONCoding.decoder().decode(API.PushedRun.self, from: Data(bytes))
            whole = decoded.run
        } else {
            // The body with every findings array emptied.
            var skeletonBytes: [UInt8] = []
            var copied = 0
            for array in arrays {
                skeletonBytes += bytes[copied..<array.lowerBound]
                skeletonBytes += Array("[]".utf8)
                copied = array.upperBound
            }
            skeletonBytes += bytes[copied...]
            decoded = try JSONCoding.decoder().decode(API.PushedRun.self, from: Data(skeletonBytes))
            whole = nil
        }
        var skeleton = decoded.run
        for index in skeleton.layers.indices { skeleton.layers[index].findings = [] }
        self.skeleton = skeleton
        environmentState = decoded.environmentState
        findingRanges = ranges
        guard ranges.count == skeleton.layers.count else { throw Malformed(offset: 0, expected: "layers as an array of objects") }
    }

    /// Each finding of layer `layer` (an index into `skeleton.layers`), decoded in turn.
    func forEachFinding(layer: Int, _ body: (Finding) throws -> Void) throws {
        if let whole {
            try whole.layers[layer].findings.forEach(body)
            return
        }
        // Findings are decoded 512 at a time (one JSONDecoder call each, so its setup is paid per batch, not per
        // finding); a batch that fails is decoded one by one to name the finding.
        let decoder = JSONCoding.decoder()
        let ranges = findingRanges[layer]
        var start = 0
        while start < ranges.count {
            let batch = ranges[start..<min(ranges.count, start + 512)]
            var joined: [UInt8] = [UInt8(ascii: "[")]
            joined.reserveCapacity(batch.reduce(2) { $0 + $1.count + 1 })
            for (offset, range) in batch.enumerated() {
                if offset > 0 { joined.append(UInt8(ascii: ",")) }
                joined += bytes[range]
            }
            joined.append(UInt8(ascii: "]"))
            let findings: [Finding]
            do {
                findings = try decoder.decode([Finding].self, from: Data(joined))
            } catch {
                for (offset, range) in batch.enumerated() {
                    do {
                        _ = try decoder.decode(Finding.self, from: Data(bytes[range]))
                    } catch {
                        throw IngestValidation.Problem(
                            field: "layers[\(layer)].findings[\(start + offset)]", expected: "a finding (\(AssayServer.describe(error)))")
                    }
                }
                throw IngestValidation.Problem(field: "layers[\(layer)].findings", expected: "findings (\(AssayServer.describe(error)))")
            }
            for finding in findings { try body(finding) }
            start += batch.count
        }
    }

    /// Checks every field, finding by finding, and gathers what the store records beside the run: the environment
    /// components its findings cite and the metric points it measured.
    func checkedHistory() throws -> (environment: EnvironmentState, points: [MetricPoint]) {
        try IngestValidation.check(skeleton)
        var components: [String: String] = [:]
        var metrics: [CurrentMetric] = []
        for (index, layer) in skeleton.layers.enumerated() {
            var single = layer
            try forEachFinding(layer: index) { finding in
                try IngestValidation.check(finding, field: "layers[\(index)].findings")
                single.findings = [finding]
                components.merge(RunHistory.environmentComponents(of: [single])) { _, new in new }
                metrics += MetricExtraction.current(from: [single])
                guard metrics.count <= IngestValidation.maxMetricsPerRun else {
                    throw IngestValidation.Problem(
                        field: "layers[\(index)].findings", expected: "at most \(IngestValidation.maxMetricsPerRun) latency and resource measurements in one audit")
                }
            }
        }
        let environment = environmentState ?? EnvironmentState(components: components)
        let points = metrics.map {
            MetricPoint(
                metric: $0.name, value: $0.value, recordedAt: skeleton.startedAt, runID: skeleton.id, environmentDigest: environment.digest,
                gitCommit: $0.evidence.gitCommit, mlflowRunID: skeleton.mlflowRunID)
        }
        return (environment, points)
    }
}

/// Finds the members of objects and the elements of arrays in JSON bytes without decoding the values: strings are
/// skipped with their escapes, containers by depth (bounded), scalars to the next delimiter. Member names are
/// decoded (they may be escaped); a name given twice is refused, since decoders disagree on which one wins.
struct JSONStructureScanner {
    let bytes: [UInt8]
    static let maxDepth = 512

    struct Member {
        var name: String
        var key: Range<Int>
        var value: Range<Int>
    }

    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    func skipSpace(_ start: Int) -> Int {
        var index = start
        while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
        return index
    }

    func fail(_ offset: Int, _ expected: String) -> PushedRunBody.Malformed { PushedRunBody.Malformed(offset: offset, expected: expected) }

    /// The end (exclusive) of the value starting at `start`.
    func valueEnd(_ start: Int) throws -> Int {
        guard start < bytes.count else { throw fail(start, "a value") }
        switch bytes[start] {
        case UInt8(ascii: "\""): return try stringEnd(start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var index = start
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index = try stringEnd(index)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    guard depth <= Self.maxDepth else { throw fail(index, "nesting at most \(Self.maxDepth) deep") }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default: break
                }
                index += 1
            }
            throw fail(bytes.count, "the end of the object or array opened at byte \(start)")
        default:
            var index = start
            while index < bytes.count, !Self.isSpace(bytes[index]), bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: "}"),
                bytes[index] != UInt8(ascii: "]")
            {
                index += 1
            }
            guard index > start else { throw fail(start, "a value") }
            return index
        }
    }

    func stringEnd(_ start: Int) throws -> Int {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        throw fail(start, "a closing quote for the string opened here")
    }

    func object(at start: Int, path: String) throws -> (members: [Member], end: Int) {
        guard start < bytes.count, bytes[start] == UInt8(ascii: "{") else { throw fail(start, "an object at \(path)") }
        var members: [Member] = []
        var names = Set<String>()
        var index = skipSpace(start + 1)
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { return ([], index + 1) }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail(index, "a member name in \(path)") }
            let keyStart = index
            let keyEnd = try stringEnd(index)
            let raw = bytes[index + 1..<keyEnd - 1]
            let name = raw.contains(UInt8(ascii: "\\"))
                ? (try? JSONDecoder().decode(String.self, from: Data(bytes[index..<keyEnd]))) ?? "" : String(decoding: raw, as: UTF8.self)
            guard names.insert(name).inserted else { throw fail(index, "each member of \(path) once; \"\(name)\" is given twice") }
            index = skipSpace(keyEnd)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail(index, "':' after a member name in \(path)") }
            let valueStart = skipSpace(index + 1)
            let valueEnd = try valueEnd(valueStart)
            members.append(Member(name: name, key: keyStart..<keyEnd, value: valueStart..<valueEnd))
            index = skipSpace(valueEnd)
            guard index < bytes.count else { throw fail(index, "',' or '}' in \(path)") }
            if bytes[index] == UInt8(ascii: "}") { return (members, index + 1) }
            guard bytes[index] == UInt8(ascii: ",") else { throw fail(index, "',' or '}' in \(path)") }
            index = skipSpace(index + 1)
        }
    }

    /// The elements of the array spanning `range`.
    func array(_ range: Range<Int>, path: String) throws -> [Range<Int>] {
        guard bytes[range.lowerBound] == UInt8(ascii: "[") else { throw fail(range.lowerBound, "an array at \(path)") }
        var elements: [Range<Int>] = []
        var index = skipSpace(range.lowerBound + 1)
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { return [] }
        while true {
            let end = try valueEnd(index)
            elements.append(index..<end)
            index = skipSpace(end)
            guard index < bytes.count else { throw fail(index, "',' or ']' in \(path)") }
            if bytes[index] == UInt8(ascii: "]") { return elements }
            guard bytes[index] == UInt8(ascii: ",") else { throw fail(index, "',' or ']' in \(path)") }
            index = skipSpace(index + 1)
        }
    }
}
extension PushedRunBody: FindingSource {}

extension AssayServer {
    /// What `POST /api/v1/runs` does with a body before the store: scan, decode, check every field and gather the
    /// metric history. Returns the run's id and its number of findings; throws what the server answers 400 or 422
    /// with. For the ingest fuzzer.
    public static func checkPushedRun(_ bytes: [UInt8]) throws -> (id: String, findings: Int) {
        let body = try PushedRunBody(bytes: bytes)
        _ = try body.checkedHistory()
        return (body.skeleton.id, body.findingRanges.reduce(0) { $0 + $1.count })
    }
}
