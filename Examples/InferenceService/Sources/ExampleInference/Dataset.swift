import AssayCore
import Foundation

/// A training example.
public struct LabeledExample: Codable, Sendable, Hashable {
    public var features: [Double]
    public var label: String

    public init(features: [Double], label: String) {
        self.features = features
        self.label = label
    }
}

/// One inference request, as read from requests.jsonl or an HTTP body.
public struct InferenceRequest: Codable, Sendable, Hashable {
    public var id: String
    public var features: [Double]

    public init(id: String, features: [Double]) {
        self.id = id
        self.features = features
    }
}

/// Errors reading the example's data files.
public enum DatasetError: Error, CustomStringConvertible {
    case unreadable(path: String)
    case malformedLine(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path): "\(path): cannot read"
        case .malformedLine(let path, let line, let reason): "\(path):\(line): \(reason)"
        }
    }
}

/// The example's synthetic data: Gaussian blobs, one per class, in `dimensions` features. Same seed, same data.
public enum Dataset {
    public static let labels = ["cat", "dog", "fox"]

    public static func generate(count: Int, dimensions: Int = 8, seed: UInt64) -> [LabeledExample] {
        var rng = SplitMix64(seed: seed)
        let centers = labels.indices.map { c in (0..<dimensions).map { d in Double((c * 7 + d * 3) % 5) - 2.0 } }
        return (0..<count).map { index in
            let c = index % labels.count
            let features = centers[c].map { center in
                ((center + rng.nextGaussian() * 0.9) * 1000).rounded() / 1000
            }
            return LabeledExample(features: features, label: labels[c])
        }
    }

    /// Reads JSON lines of `T`, naming the file and line of the first bad one.
    public static func readLines<T: Decodable>(_ type: T.Type, path: String) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DatasetError.unreadable(path: path)
        }
        let decoder = JSONDecoder()
        var items: [T] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            do {
                items.append(try decoder.decode(T.self, from: Data(trimmed.utf8)))
            } catch {
                throw DatasetError.malformedLine(path: path, line: index + 1, reason: "expected a JSON \(T.self): \(error)")
            }
        }
        return items
    }

    /// One JSON line per item, keys sorted.
    public static func jsonLines<T: Encodable>(_ items: [T]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try items.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
    }
}

extension Dataset {
    /// Reads a model written by `assay-example train`.
    public static func readModel(path: String) throws -> Model {
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError.unreadable(path: path) }
        do {
            return try JSONDecoder().decode(Model.self, from: data)
        } catch {
            throw DatasetError.malformedLine(path: path, line: 0, reason: "expected a model JSON object: \(error)")
        }
    }
}
