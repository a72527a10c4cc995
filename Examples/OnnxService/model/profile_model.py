"""Runs the example model under ONNX Runtime's own profiler and writes its Chrome trace, for `assay trace analyze`
and `trace diff` (and the fixtures Tests/AssayProfilingTests keeps).

    python profile_model.py model.onnx --runs 8 [--threads 1] [--no-optimize] --output trace.json
"""

import argparse
import os
import shutil

import numpy as np
import onnxruntime as ort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-optimize", action="store_true", help="ORT_DISABLE_ALL: every node runs as written, unfused")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    options = ort.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = os.path.splitext(args.output)[0] + ".tmp"
    options.intra_op_num_threads = args.threads
    if args.no_optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape
    image = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    for _ in range(args.runs):
        session.run(None, {session.get_inputs()[0].name: image})
    written = session.end_profiling()
    shutil.move(written, args.output)
    print(f"{args.output}: onnxruntime {ort.__version__}, {args.runs} runs, {args.threads} thread(s)")


if __name__ == "__main__":
    main()
