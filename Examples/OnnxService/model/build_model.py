"""Builds the example's image classifier deterministically: a small CNN (three convolution blocks, global pooling,
a linear head) with weights drawn from NumPy's seeded generator, written with the `onnx` package. Same seed, same
bytes: the sha256 of model.onnx is approved in assay.yaml.

    python build_model.py [--seed 20261207] [--output model.onnx]
"""

import argparse
import hashlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUT_SHAPE = [1, 3, 128, 128]
CLASSES = 10


def build(seed: int) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    initializers = []
    nodes = []

    def weight(name, shape, fan_in):
        array = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        initializers.append(numpy_helper.from_array(array, name))
        return name

    previous, channels = "image", 3
    for block, width in enumerate([32, 64, 128], start=1):
        w = weight(f"conv{block}.weight", [width, channels, 3, 3], channels * 9)
        b = weight(f"conv{block}.bias", [width], width)
        nodes.append(helper.make_node("Conv", [previous, w, b], [f"conv{block}"], name=f"/block{block}/Conv", pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [f"conv{block}"], [f"relu{block}"], name=f"/block{block}/Relu"))
        nodes.append(helper.make_node("MaxPool", [f"relu{block}"], [f"pool{block}"], name=f"/block{block}/MaxPool", kernel_shape=[2, 2], strides=[2, 2]))
        previous, channels = f"pool{block}", width
    nodes.append(helper.make_node("GlobalAveragePool", [previous], ["gap"], name="/head/GlobalAveragePool"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["features"], name="/head/Flatten"))
    w = weight("head.weight", [channels, CLASSES], channels)
    b = weight("head.bias", [CLASSES], CLASSES)
    nodes.append(helper.make_node("MatMul", ["features", w], ["logits_raw"], name="/head/MatMul"))
    nodes.append(helper.make_node("Add", ["logits_raw", b], ["logits"], name="/head/Add"))
    nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], name="/head/Softmax", axis=1))
    graph = helper.make_graph(
        nodes,
        "assay-example-cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, INPUT_SHAPE)],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, CLASSES])],
        initializers,
    )
    model = helper.make_model(graph, producer_name="assay-example", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--output", default="model.onnx")
    args = parser.parse_args()
    data = build(args.seed).SerializeToString(deterministic=True)
    with open(args.output, "wb") as handle:
        handle.write(data)
    print(f"{args.output}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
