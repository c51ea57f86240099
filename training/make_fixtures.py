"""
Small ONNX models for the tests of the runner and the validator (src/adapters/onnx/fixtures/):
  zipmap.onnx        TreeEnsembleClassifier + ZipMap: outputs label + seq(map(int64,float)) (LightGBM/onnxmltools style)
  prob2.onnx         TreeEnsembleClassifier: outputs label + probabilities float [N,2]
  vector.onnx        logistic regression graph: output risk float [N]
  wrong_width.onnx   vector model whose input is [N,10]
  nan_output.onnx    outputs NaN
  out_of_range.onnx  outputs 1 + sigmoid (> 1)
  no_contract.onnx   vector model without spotwise metadata
  wrong_contract.onnx declares spotwise-features/0
  wrong_names.onnx   declares the right contract with two feature names swapped
  wrong_horizon.onnx declares a 24-hour label horizon
  wrong_class.onnx   declares class 1 = "capacity_available"
  ranged.onnx        vector model with training ranges on two capacity features and out_of_range=fallback
  garbage.onnx       random bytes
  /usr/bin/python3 training/make_fixtures.py src/adapters/onnx/fixtures
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.ensemble import HistGradientBoostingClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_onnx import build_classifier_model, contract_metadata, set_metadata, tree_ensemble_attrs  # noqa: E402
from features import FEATURE_NAMES  # noqa: E402

F = len(FEATURE_NAMES)


def synthetic_tree_model():
    rng = np.random.default_rng(3)
    x = rng.random((2000, F))
    x[rng.random((2000, F)) < 0.2] = np.nan
    y = ((np.nan_to_num(x[:, 15], nan=0.5) + 0.3 * rng.random(2000)) > 0.6).astype(int)
    m = HistGradientBoostingClassifier(max_iter=10, max_leaf_nodes=7, random_state=1).fit(x.astype(np.float32).astype(np.float64), y)
    return m


def vector_model(width=F, metadata=None, mode="ok"):
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", width])
    out = helper.make_tensor_value_info("risk", TensorProto.FLOAT, ["N"])
    w = numpy_helper.from_array(np.linspace(-1, 1, width).astype(np.float32), "w")
    zero = numpy_helper.from_array(np.array(0, dtype=np.float32), "zero")
    nodes = [
        helper.make_node("IsNaN", ["input"], ["isnan"]),
        helper.make_node("Where", ["isnan", "zero", "input"], ["filled"]),
        helper.make_node("MatMul", ["filled", "w"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["p" if mode != "ok" else "risk"]),
    ]
    inits = [w, zero]
    if mode == "nan":
        inits.append(numpy_helper.from_array(np.array(np.nan, dtype=np.float32), "nanc"))
        nodes.append(helper.make_node("Mul", ["p", "nanc"], ["risk"]))
    elif mode == "big":
        inits.append(numpy_helper.from_array(np.array(1, dtype=np.float32), "one"))
        nodes.append(helper.make_node("Add", ["p", "one"], ["risk"]))
    g = helper.make_graph(nodes, "vector", [x], [out], initializer=inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="spotwise-fixtures")
    model.ir_version = 8
    if metadata is not None:
        set_metadata(model, metadata)
    onnx.checker.check_model(model)
    return model


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "src/adapters/onnx/fixtures"
    os.makedirs(out, exist_ok=True)
    md = contract_metadata(FEATURE_NAMES)
    tree = tree_ensemble_attrs(synthetic_tree_model())
    onnx.save(build_classifier_model(tree, F, md, zipmap=True), os.path.join(out, "zipmap.onnx"))
    onnx.save(build_classifier_model(tree, F, md, zipmap=False), os.path.join(out, "prob2.onnx"))
    onnx.save(vector_model(metadata=md), os.path.join(out, "vector.onnx"))
    onnx.save(vector_model(width=10, metadata=contract_metadata(FEATURE_NAMES)), os.path.join(out, "wrong_width.onnx"))
    onnx.save(vector_model(metadata=md, mode="nan"), os.path.join(out, "nan_output.onnx"))
    onnx.save(vector_model(metadata=md, mode="big"), os.path.join(out, "out_of_range.onnx"))
    onnx.save(vector_model(metadata=None), os.path.join(out, "no_contract.onnx"))
    wrong = dict(md)
    wrong["spotwise.feature_contract"] = "spotwise-features/0"
    onnx.save(vector_model(metadata=wrong), os.path.join(out, "wrong_contract.onnx"))
    names = list(FEATURE_NAMES)
    names[0], names[1] = names[1], names[0]
    onnx.save(vector_model(metadata=contract_metadata(names)), os.path.join(out, "wrong_names.onnx"))
    onnx.save(vector_model(metadata={**md, "spotwise.horizon_ms": str(24 * 3_600_000)}), os.path.join(out, "wrong_horizon.onnx"))
    onnx.save(vector_model(metadata={**md, "spotwise.positive_class": "capacity_available"}), os.path.join(out, "wrong_class.onnx"))
    ranges = {"cap_unavail_frac_6h": [0.0, 0.5], "hours_since_capacity_loss": [0.0, 240.0]}
    onnx.save(vector_model(metadata={**md, "spotwise.training_ranges": json.dumps(ranges), "spotwise.out_of_range": "fallback"}),
              os.path.join(out, "ranged.onnx"))
    with open(os.path.join(out, "garbage.onnx"), "wb") as f:
        f.write(np.random.default_rng(5).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    print(json.dumps(sorted(os.listdir(out))))


if __name__ == "__main__":
    main()
