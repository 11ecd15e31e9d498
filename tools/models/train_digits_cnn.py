#!/usr/bin/env python3
"""Train a small CNN on scikit-learn's digits data set and export it to ONNX.

The network is a test fixture for Octet: Java tests quantize it to INT8 and check that
top-1 accuracy on the held-out split stays within 0.5 points of FP32. Training is plain
numpy (im2col convolution, hand-written backprop, Adam), seeded and deterministic.

Usage (from the repository root, inside a venv made from tools/models/requirements.txt):

    python3 tools/models/train_digits_cnn.py --out models/digits-cnn

Writes <out>/digits_cnn.onnx and <out>/digits.csv (every image with its split and label).
"""

import argparse
import hashlib
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits

SPLIT_SEED = 20240601
INIT_SEED = 7
SHUFFLE_SEED = 11
TEST_FRACTION = 0.30
CALIB_FRACTION = 0.10
EPOCHS = 40
BATCH = 32
LR = 2e-3
WEIGHT_DECAY = 1e-4
AUGMENT = True
OPSET = 17
IR_VERSION = 8
SCRIPT = "tools/models/train_digits_cnn.py"


# ----------------------------------------------------------------------------- data


def pixel_text(v):
    """Shortest decimal for k/16 (k = 0..16); every such value is exact in 4 decimals."""
    s = "%.4f" % v
    s = s.rstrip("0").rstrip(".")
    return s if s else "0"


def load_data():
    digits = load_digits()
    raw = digits.data.astype(np.int64)  # (1797, 64), values 0..16
    labels = digits.target.astype(np.int64)
    assert raw.min() >= 0 and raw.max() <= 16
    text = [[pixel_text(v / 16.0) for v in row] for row in raw]
    # The model is evaluated on exactly the float32 values the CSV holds.
    x = np.array(text, dtype=np.float32)
    assert np.array_equal(x, (raw / 16.0).astype(np.float32))
    return x.reshape(-1, 1, 8, 8), labels, text


def stratified_split(labels):
    """Per class: shuffle, take ~30% for test, ~10% for calibration, the rest for training.

    The three splits are disjoint; calibration never touches test (held-out) rows, and the
    network is trained on the train split only.
    """
    rng = np.random.default_rng(SPLIT_SEED)
    split = np.empty(len(labels), dtype=object)
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(len(idx))]
        n_test = int(round(TEST_FRACTION * len(idx)))
        n_calib = int(round(CALIB_FRACTION * len(idx)))
        split[idx[:n_test]] = "test"
        split[idx[n_test:n_test + n_calib]] = "calib"
        split[idx[n_test + n_calib:]] = "train"
    return split


def write_csv(path, labels, split, text):
    header = "id,split,label," + ",".join("p%d" % i for i in range(64))
    lines = [header]
    for i in range(len(labels)):
        lines.append("%d,%s,%d,%s" % (i, split[i], labels[i], ",".join(text[i])))
    data = ("\n".join(lines) + "\n").encode("ascii")
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------- layers


def im2col(x, pad=1):
    """(N, C, H, W) -> (N*H*W, C*9) for a 3x3 kernel, stride 1, 'same' padding."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((n, h, w, c, 3, 3), dtype=x.dtype)
    for i in range(3):
        for j in range(3):
            cols[:, :, :, :, i, j] = xp[:, :, i:i + h, j:j + w].transpose(0, 2, 3, 1)
    return cols.reshape(n * h * w, c * 9)


def col2im(dcols, shape, pad=1):
    n, c, h, w = shape
    d = dcols.reshape(n, h, w, c, 3, 3)
    dxp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=dcols.dtype)
    for i in range(3):
        for j in range(3):
            dxp[:, :, i:i + h, j:j + w] += d[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, pad:pad + h, pad:pad + w]


def conv_forward(x, wt, b):
    n, _, h, w = x.shape
    cols = im2col(x)
    out = cols @ wt.reshape(wt.shape[0], -1).T + b
    return out.reshape(n, h, w, -1).transpose(0, 3, 1, 2), cols


def conv_backward(dout, cols, x_shape, wt):
    o = wt.shape[0]
    d = dout.transpose(0, 2, 3, 1).reshape(-1, o)
    dw = (d.T @ cols).reshape(wt.shape)
    db = d.sum(axis=0)
    dx = col2im(d @ wt.reshape(o, -1), x_shape)
    return dx, dw, db


def maxpool_forward(x):
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    blocks = blocks.reshape(n, c, h // 2, w // 2, 4)
    arg = blocks.argmax(axis=-1)  # first maximum on ties: deterministic
    out = np.take_along_axis(blocks, arg[..., None], axis=-1)[..., 0]
    return out, arg


def maxpool_backward(dout, arg, x_shape):
    n, c, h, w = x_shape
    d = np.zeros(dout.shape + (4,), dtype=dout.dtype)
    np.put_along_axis(d, arg[..., None], dout[..., None], axis=-1)
    d = d.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return d.reshape(n, c, h, w)


# ----------------------------------------------------------------------------- network

# name, kind, shape of weight
LAYERS = [
    ("conv1", (16, 1, 3, 3)),
    ("conv2", (32, 16, 3, 3)),
    ("conv3", (32, 32, 3, 3)),
    ("fc1", (64, 32 * 4 * 4)),
    ("fc2", (10, 64)),
]


def init_params():
    rng = np.random.default_rng(INIT_SEED)
    params = {}
    for name, shape in LAYERS:
        fan_in = int(np.prod(shape[1:]))
        std = np.sqrt(2.0 / fan_in) if name != "fc2" else np.sqrt(1.0 / fan_in)
        params[name + ".weight"] = rng.standard_normal(shape) * std
        params[name + ".bias"] = np.zeros(shape[0])
    return params


def forward(p, x, keep=False):
    cache = {}
    a1, c1 = conv_forward(x, p["conv1.weight"], p["conv1.bias"])
    r1 = np.maximum(a1, 0)
    a2, c2 = conv_forward(r1, p["conv2.weight"], p["conv2.bias"])
    r2 = np.maximum(a2, 0)
    m2, arg = maxpool_forward(r2)
    a3, c3 = conv_forward(m2, p["conv3.weight"], p["conv3.bias"])
    r3 = np.maximum(a3, 0)
    f = r3.reshape(len(x), -1)
    h = f @ p["fc1.weight"].T + p["fc1.bias"]
    rh = np.maximum(h, 0)
    logits = rh @ p["fc2.weight"].T + p["fc2.bias"]
    if keep:
        cache = dict(x=x, c1=c1, a1=a1, r1=r1, c2=c2, a2=a2, r2=r2, m2=m2, arg=arg,
                     c3=c3, a3=a3, r3=r3, f=f, h=h, rh=rh)
    return logits, cache


def backward(p, cache, dlogits):
    g = {}
    g["fc2.weight"] = dlogits.T @ cache["rh"]
    g["fc2.bias"] = dlogits.sum(axis=0)
    dh = (dlogits @ p["fc2.weight"]) * (cache["h"] > 0)
    g["fc1.weight"] = dh.T @ cache["f"]
    g["fc1.bias"] = dh.sum(axis=0)
    dr3 = (dh @ p["fc1.weight"]).reshape(cache["r3"].shape)
    da3 = dr3 * (cache["a3"] > 0)
    dm2, g["conv3.weight"], g["conv3.bias"] = conv_backward(
        da3, cache["c3"], cache["m2"].shape, p["conv3.weight"])
    dr2 = maxpool_backward(dm2, cache["arg"], cache["r2"].shape)
    da2 = dr2 * (cache["a2"] > 0)
    dr1, g["conv2.weight"], g["conv2.bias"] = conv_backward(
        da2, cache["c2"], cache["r1"].shape, p["conv2.weight"])
    da1 = dr1 * (cache["a1"] > 0)
    _, g["conv1.weight"], g["conv1.bias"] = conv_backward(
        da1, cache["c1"], cache["x"].shape, p["conv1.weight"])
    return g


def softmax_xent(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    prob = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(prob[np.arange(len(y)), y]).mean()
    d = prob
    d[np.arange(len(y)), y] -= 1.0
    return loss, d / len(y)


def random_shift(x, rng):
    """Augmentation: move each image by -1, 0 or +1 pixel in each direction (zero fill)."""
    shifts = rng.integers(-1, 2, size=(len(x), 2))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.empty_like(x)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            sel = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            out[sel] = xp[sel, :, 1 - dy:9 - dy, 1 - dx:9 - dx]
    return out


def predict(p, x, batch=256):
    out = [forward(p, x[i:i + batch])[0] for i in range(0, len(x), batch)]
    return np.concatenate(out)


def train(x, y):
    """Adam with decoupled weight decay, a cosine learning-rate schedule and one-pixel random
    shifts of the training images, in float64."""
    p = init_params()
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    rng = np.random.default_rng(SHUFFLE_SEED)
    x = x.astype(np.float64)
    steps_per_epoch = (len(x) + BATCH - 1) // BATCH
    total = EPOCHS * steps_per_epoch
    t = 0
    for epoch in range(EPOCHS):
        order = rng.permutation(len(x))
        losses = []
        for s in range(steps_per_epoch):
            idx = order[s * BATCH:(s + 1) * BATCH]
            xb = random_shift(x[idx], rng) if AUGMENT else x[idx]
            logits, cache = forward(p, xb, keep=True)
            loss, d = softmax_xent(logits, y[idx])
            losses.append(loss)
            g = backward(p, cache, d)
            t += 1
            lr = LR * 0.5 * (1.0 + np.cos(np.pi * (t - 1) / total))
            for k in p:
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k]
                mh = m[k] / (1 - b1 ** t)
                vh = v[k] / (1 - b2 ** t)
                if k.endswith(".weight"):
                    p[k] -= lr * WEIGHT_DECAY * p[k]
                p[k] -= lr * mh / (np.sqrt(vh) + eps)
        if epoch % 5 == 4 or epoch == EPOCHS - 1:
            acc = (predict(p, x).argmax(1) == y).mean()
            print("epoch %2d  loss %.4f  train acc %.4f" % (epoch + 1, np.mean(losses), acc))
    return {k: val.astype(np.float32) for k, val in p.items()}


# ----------------------------------------------------------------------------- ONNX


def export_onnx(p, path):
    nodes = [
        helper.make_node("Conv", ["image", "conv1.weight", "conv1.bias"], ["conv1_out"],
                         name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1_out"], ["relu1_out"], name="relu1"),
        helper.make_node("Conv", ["relu1_out", "conv2.weight", "conv2.bias"], ["conv2_out"],
                         name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv2_out"], ["relu2_out"], name="relu2"),
        helper.make_node("MaxPool", ["relu2_out"], ["pool_out"], name="pool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pool_out", "conv3.weight", "conv3.bias"], ["conv3_out"],
                         name="conv3", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv3_out"], ["relu3_out"], name="relu3"),
        helper.make_node("Flatten", ["relu3_out"], ["flat_out"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat_out", "fc1.weight", "fc1.bias"], ["fc1_out"],
                         name="fc1", transB=1),
        helper.make_node("Relu", ["fc1_out"], ["relu4_out"], name="relu4"),
        helper.make_node("Gemm", ["relu4_out", "fc2.weight", "fc2.bias"], ["logits"],
                         name="fc2", transB=1),
    ]
    inits = [numpy_helper.from_array(p[name + suffix], name + suffix)
             for name, _ in LAYERS for suffix in (".weight", ".bias")]
    graph = helper.make_graph(
        nodes, "digits_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        initializer=inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION,
        producer_name="octet-tools", producer_version="1",
        doc_string=("Small CNN for Octet tests, trained in numpy by %s on scikit-learn's "
                    "digits data set (copy of the UCI ML hand-written digits test set). "
                    "Input: 8x8 grey images scaled to [0,1]; output: 10 class logits."
                    % SCRIPT))
    model.model_version = 1
    helper.set_model_props(model, {
        "training_script": SCRIPT,
        "dataset": "sklearn.datasets.load_digits (UCI Optical Recognition of "
                   "Handwritten Digits, test set)",
        "data_file": "digits.csv",
        "input_scaling": "pixel / 16",
        "split_seed": str(SPLIT_SEED),
    })
    onnx.checker.check_model(model, full_check=True)
    data = model.SerializeToString()
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest(), len(data)


# ----------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output folder, e.g. models/digits-cnn")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()

    x, y, text = load_data()
    split = stratified_split(y)
    csv_sha = write_csv(os.path.join(args.out, "digits.csv"), y, split, text)
    tr, ca, te = (split == "train"), (split == "calib"), (split == "test")
    print("rows: train %d  calib %d  test %d" % (tr.sum(), ca.sum(), te.sum()))

    params = train(x[tr], y[tr])

    model_path = os.path.join(args.out, "digits_cnn.onnx")
    onnx_sha, size = export_onnx(params, model_path)

    ref = predict(params, x)  # float32 numpy forward on every row
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    got = sess.run(["logits"], {"image": x})[0]
    diff = float(np.abs(got - ref).max())
    print("max |ORT - numpy| logits: %.3g" % diff)
    if not diff < 1e-4:
        sys.exit("ONNX model does not match the numpy forward pass")

    pred = got.argmax(axis=1)
    for name, mask in (("train", tr), ("calib", ca), ("test", te)):
        print("FP32 %-5s accuracy (ONNX Runtime): %.4f  (%d / %d)"
              % (name, (pred[mask] == y[mask]).mean(), (pred[mask] == y[mask]).sum(),
                 mask.sum()))
    print("digits.csv     sha256 %s" % csv_sha)
    print("digits_cnn.onnx sha256 %s  (%d bytes)" % (onnx_sha, size))
    print("versions: numpy %s  onnx %s  onnxruntime %s"
          % (np.__version__, onnx.__version__, ort.__version__))
    print("done in %.1f s" % (time.time() - t0))


if __name__ == "__main__":
    main()
