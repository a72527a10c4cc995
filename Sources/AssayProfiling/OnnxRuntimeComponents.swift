/// ONNX Runtime's own profiler (`SessionOptions.enable_profiling`) as components people tune: each node's kernel
/// time under its operator type (`args.op_name`: Conv, MatMul, Gemm …), pooling and activations as families,
/// layout reorders, shape operators and memory copies, the fences around nodes, and the session's own time between
/// nodes. With several execution providers in one trace, each component names its provider.
///
/// Events: `cat: "Session"` (`model_loading_uri`, `session_initialization`, and per run `model_run` enclosing
/// `SequentialExecutor::Execute`), `cat: "Node"` (`<node>_kernel_time`, `<node>_fence_before`, `<node>_fence_after`).
enum OnnxRuntimeComponents {
    static let pooling: Set<String> = ["MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "GlobalLpPool", "MaxRoiPool", "RoiAlign"]
    static let activations: Set<String> = [
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "Tanh", "Gelu", "FastGelu", "BiasGelu", "QuickGelu", "Erf", "Elu", "Selu",
        "Celu", "Softplus", "Softsign", "HardSwish", "Mish", "Clip", "ThresholdedRelu",
    ]
    static let shape: Set<String> = [
        "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Gather", "Expand", "Shape", "Identity", "Cast", "Tile",
        "Pad",
    ]
    static let reorders: Set<String> = ["ReorderInput", "ReorderOutput"]
    static let copies: Set<String> = ["MemcpyFromHost", "MemcpyToHost"]

    /// Whether the trace is one ONNX Runtime wrote (it has `model_run` session events).
    static func isOnnxRuntimeTrace(_ lanes: [TraceLane]) -> Bool {
        lanes.contains { $0.spans.contains { $0.category == "Session" && $0.name == "model_run" } }
    }

    /// Whether nodes ran on more than one execution provider.
    static func hasSeveralProviders(_ lanes: [TraceLane]) -> Bool {
        var first: String?
        for lane in lanes {
            for span in lane.spans {
                guard let provider = span.provider else { continue }
                if let first, first != provider { return true }
                first = provider
            }
        }
        return false
    }

    /// The component of an ONNX Runtime event (category Node or Session); nil for `model_run`'s enclosing stage
    /// handled by the caller.
    static func component(of event: TraceEvent, severalProviders: Bool) -> String {
        if event.category == "Session" {
            switch event.name {
            case "model_loading_uri", "model_loading_array", "session_initialization": return "Session setup"
            default: return "Session overhead"
            }
        }
        let name = event.name
        if name.hasSuffix("_fence_before") || name.hasSuffix("_fence_after") { return "Fences" }
        let family: String
        switch event.operatorName {
        case let op? where pooling.contains(op): family = "Pooling"
        case let op? where activations.contains(op): family = "Activations"
        case let op? where shape.contains(op): family = "Shape ops"
        case let op? where reorders.contains(op): family = "Layout reorders"
        case let op? where copies.contains(op): family = "Memory copies"
        case let op? where !op.isEmpty: family = op
        default:
            if name.lowercased().contains("threadpool") || name.lowercased().contains("thread_pool") { return "Thread-pool overhead" }
            family = "Other nodes"
        }
        guard severalProviders, let provider = event.provider else { return family }
        return family + " [" + (provider.hasSuffix("ExecutionProvider") ? String(provider.dropLast("ExecutionProvider".count)) : provider) + "]"
    }
}
