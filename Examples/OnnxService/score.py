"""Batch scorer for the reproducibility layer: runs every request of a JSON-lines file through the model and writes
one prediction line each. Same seed, same model, same threads: the same bytes (Assay compares their sha256).

ONNX Runtime's thread count is read from OMP_NUM_THREADS (what `assay repro run --vary threads` changes); unset,
ORT picks one thread per core. Different thread counts may sum convolutions in a different order: the
probabilities are printed with 9 significant digits, so such a change shows in the checksum.

    python score.py --model model/model.onnx --input data/requests.jsonl --output predictions.jsonl --seed 42
"""

import argparse
import json
import os

import numpy as np
import onnxruntime as ort

MEAN = np.float32(0.5)
STD = np.float32(0.25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    shape = [int(d) for d in session.get_inputs()[0].shape]
    with open(args.input, encoding="utf-8") as source, open(args.output, "w", encoding="utf-8") as sink:
        for line in source:
            if not line.strip():
                continue
            request = json.loads(line)
            # Each request's pixels come from its own seed mixed with the run's seed, as the service draws them.
            pixels = np.random.default_rng([args.seed, int(request["seed"])]).random(shape, dtype=np.float32)
            (probabilities,) = session.run(None, {name: (pixels - MEAN) / STD})
            sink.write(json.dumps({"id": request["id"], "probabilities": [float(f"{p:.9g}") for p in probabilities[0]]}) + "\n")


if __name__ == "__main__":
    main()
