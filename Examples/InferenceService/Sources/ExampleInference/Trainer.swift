import AssayCore
/// Trains a `Model` with seeded stochastic gradient descent on cross-entropy loss.
public struct Trainer: Sendable {
    public var hiddenSize = 16
    public var epochs = 60
    public var learningRate = 0.05
    public var seed: UInt64 = 7

    public init(hiddenSize: Int = 16, epochs: Int = 60, learningRate: Double = 0.05, seed: UInt64 = 7) {
        self.hiddenSize = hiddenSize
        self.epochs = epochs
        self.learningRate = learningRate
        self.seed = seed
    }

    public func train(_ examples: [LabeledExample], labels: [String]) -> Model {
        var rng = SplitMix64(seed: seed)
        let inputs = examples[0].features.count
        let mean = (0..<inputs).map { i in examples.map { $0.features[i] }.reduce(0, +) / Double(examples.count) }
        let std = (0..<inputs).map { i in
            let m = mean[i]
            let variance = examples.map { ($0.features[i] - m) * ($0.features[i] - m) }.reduce(0, +) / Double(examples.count)
            return max(variance.squareRoot(), 1e-9)
        }
        let scale1 = (2.0 / Double(inputs)).squareRoot()
        let scale2 = (2.0 / Double(hiddenSize)).squareRoot()
        var model = Model(
            labels: labels, featureMean: mean, featureStd: std,
            hiddenWeights: (0..<hiddenSize).map { _ in (0..<inputs).map { _ in rng.nextGaussian() * scale1 } },
            hiddenBias: Array(repeating: 0, count: hiddenSize),
            outputWeights: labels.map { _ in (0..<hiddenSize).map { _ in rng.nextGaussian() * scale2 } },
            outputBias: Array(repeating: 0, count: labels.count))
        var order = Array(examples.indices)
        for _ in 0..<epochs {
            order.shuffle(using: &rng)
            for index in order {
                let example = examples[index]
                let x = model.standardize(example.features)
                let target = labels.firstIndex(of: example.label) ?? 0
                step(&model, x: x, target: target)
            }
        }
        return model
    }

    func step(_ model: inout Model, x: [Double], target: Int) {
        var pre = [Double](repeating: 0, count: hiddenSize)
        var hidden = [Double](repeating: 0, count: hiddenSize)
        for h in 0..<hiddenSize {
            var sum = model.hiddenBias[h]
            for i in 0..<x.count { sum += model.hiddenWeights[h][i] * x[i] }
            pre[h] = sum
            hidden[h] = max(0, sum)
        }
        var logits = model.outputBias
        for c in 0..<logits.count {
            for h in 0..<hiddenSize { logits[c] += model.outputWeights[c][h] * hidden[h] }
        }
        let probs = Model.softmax(logits)
        var gradHidden = [Double](repeating: 0, count: hiddenSize)
        for c in 0..<probs.count {
            let g = probs[c] - (c == target ? 1 : 0)
            for h in 0..<hiddenSize {
                gradHidden[h] += g * model.outputWeights[c][h]
                model.outputWeights[c][h] -= learningRate * g * hidden[h]
            }
            model.outputBias[c] -= learningRate * g
        }
        for h in 0..<hiddenSize where pre[h] > 0 {
            for i in 0..<x.count { model.hiddenWeights[h][i] -= learningRate * gradHidden[h] * x[i] }
            model.hiddenBias[h] -= learningRate * gradHidden[h]
        }
    }
}
