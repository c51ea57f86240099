"""
Exports a fitted binary sklearn HistGradientBoostingClassifier as an ONNX TreeEnsembleClassifier (ai.onnx.ml)
built with onnx.helper (skl2onnx is not available here). Missing values (NaN) follow the tree's learned
direction via nodes_missing_value_tracks_true, like sklearn. Thresholds are rounded DOWN to float32 so that
for every float32 input x: x <= t32  <=>  x <= t64 (the model is fed float32 and was trained on float32 values).
The sklearn baseline (raw score at zero trees) is folded into the leaves of the first tree.
"""
import json

import numpy as np
import onnx
from onnx import TensorProto, helper

from features import FEATURE_CONTRACT_VERSION


def f32_floor(x):
    t = np.float32(x)
    if float(t) > x:
        t = np.nextafter(t, np.float32(-np.inf))
    return float(t)


def tree_ensemble_attrs(model):
    predictors = model._predictors
    baseline = float(np.ravel(model._baseline_prediction)[0])
    a = {k: [] for k in [
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
        "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
        "class_treeids", "class_nodeids", "class_ids", "class_weights",
    ]}
    for tree_id, per_class in enumerate(predictors):
        if len(per_class) != 1:
            raise ValueError("only binary classifiers are supported")
        nodes = per_class[0].nodes
        for node_id, node in enumerate(nodes):
            a["nodes_treeids"].append(tree_id)
            a["nodes_nodeids"].append(node_id)
            if node["is_leaf"]:
                a["nodes_featureids"].append(0)
                a["nodes_modes"].append("LEAF")
                a["nodes_values"].append(0.0)
                a["nodes_truenodeids"].append(0)
                a["nodes_falsenodeids"].append(0)
                a["nodes_missing_value_tracks_true"].append(0)
                a["class_treeids"].append(tree_id)
                a["class_nodeids"].append(node_id)
                a["class_ids"].append(0)
                a["class_weights"].append(float(node["value"]) + (baseline if tree_id == 0 else 0.0))
            else:
                if node["is_categorical"]:
                    raise ValueError("categorical splits are not supported")
                a["nodes_featureids"].append(int(node["feature_idx"]))
                a["nodes_modes"].append("BRANCH_LEQ")
                a["nodes_values"].append(f32_floor(float(node["num_threshold"])))
                a["nodes_truenodeids"].append(int(node["left"]))
                a["nodes_falsenodeids"].append(int(node["right"]))
                a["nodes_missing_value_tracks_true"].append(1 if node["missing_go_to_left"] else 0)
    return a


def build_classifier_model(attrs, n_features, metadata, zipmap=False, input_name="input"):
    """A TreeEnsembleClassifier graph: outputs `label` int64 [N] and `probabilities` float [N,2]
    (or, with zipmap, seq(map(int64, float)) like onnxmltools/skl2onnx exports)."""
    inp = helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", n_features])
    label = helper.make_tensor_value_info("label", TensorProto.INT64, ["N"])
    nodes = [
        helper.make_node(
            "TreeEnsembleClassifier", [input_name], ["label", "probabilities" if not zipmap else "probability_tensor"],
            domain="ai.onnx.ml", classlabels_int64s=[0, 1], post_transform="LOGISTIC", **attrs,
        )
    ]
    if zipmap:
        nodes.append(helper.make_node("ZipMap", ["probability_tensor"], ["probabilities"], domain="ai.onnx.ml",
                                      classlabels_int64s=[0, 1]))
        probs = onnx.ValueInfoProto()
        probs.name = "probabilities"
        map_type = probs.type.sequence_type.elem_type.map_type  # seq(map(int64, float)), built by hand for onnx 1.12
        map_type.key_type = TensorProto.INT64
        map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    else:
        probs = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])
    graph = helper.make_graph(nodes, "spotwise_capacity_risk", [inp], [label, probs])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
        producer_name="spotwise-training", producer_version="1",
    )
    model.ir_version = 8
    set_metadata(model, metadata)
    onnx.checker.check_model(model)
    return model


def set_metadata(model, metadata):
    for k, v in metadata.items():
        entry = model.metadata_props.add()
        entry.key = k
        entry.value = v if isinstance(v, str) else json.dumps(v)


HORIZON_MS = 3_600_000
POSITIVE_CLASS = "capacity_lost"


def contract_metadata(feature_names, extra=None):
    """The metadata spotwise checks at every load: feature contract and names, label horizon, positive class."""
    md = {
        "spotwise.feature_contract": FEATURE_CONTRACT_VERSION,
        "spotwise.feature_names": json.dumps(list(feature_names)),
        "spotwise.horizon_ms": str(HORIZON_MS),
        "spotwise.positive_class": POSITIVE_CLASS,
    }
    md.update(extra or {})
    return md


def training_ranges(x, feature_names):
    """{feature: [min, max]} over the training rows, for features observed at least once (the drift guard)."""
    out = {}
    for j, name in enumerate(feature_names):
        col = x[:, j]
        col = col[~np.isnan(col)]
        if col.size:
            out[name] = [float(col.min()), float(col.max())]
    return out
