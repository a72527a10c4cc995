/// A small multilayer perceptron classifier: standardize → dense(ReLU) → dense → softmax.
public struct Model: Codable, Sendable, Hashable {
    public var labels: [String]
    public var featureMean: [Double]
    public var featureStd: [Double]
    /// hidden × input
    public var hiddenWeights: [[Double]]
    public var hiddenBias: [Double]
    /// classes × hidden
    public var outputWeights: [[Double]]
    public var outputBias: [Double]

    public var inputSize: Int { featureMean.count }
    public var hiddenSize: Int { hiddenBias.count }

    enum CodingKeys: String, CodingKey {
        case labels
        case featureMean = "feature_mean"
        case featureStd = "feature_std"
        case hiddenWeights = "hidden_weights"
        case hiddenBias = "hidden_bias"
        case outputWeights = "output_weights"
        case outputBias = "output_bias"
    }

    /// Class probabilities for standardized features; `dropout` zeroes hidden units where the mask is false.
    public func probabilities(standardized x: [Double], keep mask: [Bool]? = nil, keepProbability: Double = 1) -> [Double] {
        var hidden = [Double](repeating: 0, count: hiddenSize)
        for h in 0..<hiddenSize {
            var sum = hiddenBias[h]
            let row = hiddenWeights[h]
            for i in 0..<inputSize { sum += row[i] * x[i] }
            var activation = max(0, sum)
            if let mask {
                activation = mask[h] ? activation / keepProbability : 0
            }
            hidden[h] = activation
        }
        var logits = outputBias
        for c in 0..<logits.count {
            let row = outputWeights[c]
            for h in 0..<hiddenSize { logits[c] += row[h] * hidden[h] }
        }
        return Model.softmax(logits)
    }

    public func standardize(_ features: [Double]) -> [Double] {
        (0..<inputSize).map { (features[$0] - featureMean[$0]) / featureStd[$0] }
    }

    static func softmax(_ logits: [Double]) -> [Double] {
        let top = logits.max() ?? 0
        let exps = logits.map { exp($0 - top) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
