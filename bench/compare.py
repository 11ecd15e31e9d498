#!/usr/bin/env python3
"""Octet beside ONNX Runtime's Python quantizer (the anchor, bench/anchor/) on the same machine,
the same models and the same rows, in one run (issue 6).

What one run does (see bench/compare.md for the reading guide, bench/results/compare.md for the
figures):

1. prepare   the anchor's own rows (bench/anchor/anchor_bench.py: prepare_*, load_rows) written
             as Parquet for Octet, at 1x and 10x calibration rows;
2. octet     `bin/octet quantize-one` in a fresh JVM per (model, rows, op set, method): wall time,
             peak RSS (wait4 ru_maxrss), CPU s, and the stage times Octet prints;
3. anchor    the anchor's quantize child (anchor_bench.spawn) re-run for the INT8 files this
             comparison times (the anchor does not keep them), in a fresh process each;
4. eval      one fresh process per model evaluates every INT8 file with anchor_bench.child_evaluate
             (same rows, same metrics), then times FP32, Octet INT8 and anchor INT8 interleaved;
5. thresholds Octet's calibration table vs the anchor's calibrator ranges, tensor by tensor;
6. scaling   MiniLM calibration on a standalone Spark cluster with 1 and 2 single-core executors;
7. report    bench/results/compare-<date>.json (raw) and bench/results/compare.md.

    bench/compare                      # the whole run (makes the venv, then calls this file)
    bench/compare --report-only bench/results/compare-<date>.json   # rewrite compare.md only
"""

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import pickle
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE / "anchor"))
import anchor_bench as ab  # noqa: E402  (the anchor's data preparation and evaluation)

RESULTS = HERE / "results"
MB = 1e6
GiB = 1 << 30
OCTET_DRIVER_MEMORY = "2g"
SIZES = ab.SIZES  # minilm 500/5000, digits 179/1790, third 20/200
SCALING_ROWS = 1000
MINILM_INPUTS = ("models.model.inputs=[{name=input_ids,column=input_ids,dtype=int64,shape=[-1]},"
                 "{name=attention_mask,column=attention_mask,dtype=int64,shape=[-1]},"
                 "{name=token_type_ids,column=token_type_ids,dtype=int64,shape=[-1]}]")
OCTET_SETS = {
    "minilm": [MINILM_INPUTS],
    "digits": ["models.model.inputs=[{name=image,column=image,dtype=float32,shape=[1,8,8]}]"],
    "third": ["models.model.inputs=[{name=x,column=image,dtype=float32,shape=[3,320,320]}]",
              "calibration.batch-size=4"],
}
OPSET_SETS = {"default": [], "matmul": ["quantization.op-types=[MatMul]"]}
OCTET_HOME = REPO  # replaced by the frozen build made at start (snapshot())
STAGE_RE = re.compile(r"\[octet\] (\S+)\s+(calibrate|quantize)\s+(.*?) in ([0-9.]+) s")


def log(msg):
    print(f"[{dt.datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


def load1():
    return round(os.getloadavg()[0], 2)


def sha256(path):
    return ab.sha256(path)


# --------------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------------


def octet_plan():
    """(model, rows, opset, method) for every Octet run; method 'dynamic' = --mode dynamic."""
    plan = []
    for model in ("digits", "third", "minilm"):
        r1, r10 = SIZES[model]
        if model == "minilm":
            for m in ("minmax", "percentile", "entropy", "mse"):
                plan.append((model, r1, "matmul", m))  # Octet's recommended transformer setting
            for m in ("minmax", "mse"):
                plan.append((model, r1, "default", m))  # Octet's default op set
            plan.append((model, r1, "default", "dynamic"))
            # 10x: calibration is one inference pass whatever the method (ranges are computed
            # from the stored histograms), so two runs show time and memory against rows
            plan.append((model, r10, "matmul", "mse"))
            plan.append((model, r10, "default", "minmax"))
        else:
            for m in ("minmax", "percentile", "entropy", "mse"):
                plan.append((model, r1, "default", m))
            plan.append((model, r1, "default", "dynamic"))
            tenx = ("minmax", "percentile", "entropy", "mse") if model == "digits" else ("minmax", "percentile")
            for m in tenx:
                plan.append((model, r10, "default", m))
    return plan


def anchor_plan():
    """Anchor runs re-done here (variant kwargs as bench/anchor's plan() builds them)."""
    out = []
    for rows in SIZES["digits"]:
        for m in ("minmax", "percentile", "entropy"):
            out.append(("digits", rows, ab.static_variant("digits", m)))
    out.append(("digits", SIZES["digits"][0],
                {"id": "dynamic-pc1", "mode": "dynamic", "per_channel": True, "input": None}))
    pre = dict(preprocess=True, opset13=True)
    for m in ("minmax", "percentile", "entropy"):
        out.append(("third", 20, ab.static_variant("third", m, id=f"static-{m}-u8-opset13-preprocessed", **pre)))
    out.append(("third", 200, ab.static_variant("third", "minmax", id="static-minmax-u8-opset13-preprocessed", **pre)))
    out.append(("third", 20, {"id": "dynamic-pc1-preprocessed", "mode": "dynamic", "per_channel": True,
                              "input": None, "preprocess": True}))
    out.append(("minilm", 500, ab.static_variant("minilm", "minmax")))
    out.append(("minilm", 500, ab.static_variant("minilm", "minmax", id="static-minmax-u8-matmul-add",
                                                 op_types=ab.MATMUL_ADD)))
    out.append(("minilm", 500, {"id": "dynamic-pc1", "mode": "dynamic", "per_channel": True, "input": None}))
    return out


# Which committed anchor runs stand in where this run does not redo them (too slow for one
# run on this machine, or failures whose figures are already recorded).
CITED_ANCHOR = re.compile(
    r"^(minilm/500/static-(percentile|entropy)-u8(-strided1(-matmul-add)?)?"
    r"|minilm/5000/static-(minmax|percentile|entropy)-u8.*"
    r"|minilm/reference/langchain4j-q"
    r"|third/20/static-(minmax|percentile|entropy)-u8"
    r"|third/200/static-(percentile|entropy)-u8.*)$")


# --------------------------------------------------------------------------------------------
# 0. A frozen Octet build
# --------------------------------------------------------------------------------------------


def snapshot(work, doc):
    """Builds Octet from `git archive HEAD` into work/octet-src and runs its bin/octet: other
    sessions rebuild the shared checkout's jars while this runs (a half-replaced classpath made a
    run fail with ClassNotFoundException), so every Octet process here uses one frozen build of
    one commit."""
    global OCTET_HOME
    t0 = time.perf_counter()
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO,
                          check=True).stdout.strip()
    src = work / "octet-src"
    stamp = src / ".octet-compare-head"
    jars = list((src / "jobs" / "target").glob("octet-jobs-*-shaded.jar")) if src.exists() else []
    if not (stamp.exists() and stamp.read_text() == head and jars):
        if src.exists():
            shutil.rmtree(src)
        src.mkdir(parents=True)
        log(f"building Octet {head[:10]} (git archive) in {src} ...")
        subprocess.run(f"git archive {head} | tar -x -C {shlex_quote(str(src))}", shell=True, check=True, cwd=REPO)
        mvn = ["mvn", "-q", "-B", "-DskipTests", "-Dspotless.check.skip=true", "-pl", "jobs", "-am", "package"]
        r = subprocess.run(mvn[:3] + ["-o"] + mvn[3:], cwd=src, capture_output=True, text=True)
        if r.returncode != 0:
            subprocess.run(mvn, cwd=src, check=True)
        stamp.write_text(head)
    OCTET_HOME = src
    doc["octet_build"] = {"commit": head, "dir": str(src), "build_s": time.perf_counter() - t0,
                          "how": "git archive HEAD + mvn -DskipTests -pl jobs -am package; bin/octet of that copy"}


# --------------------------------------------------------------------------------------------
# 1. Data
# --------------------------------------------------------------------------------------------


def third_info(work):
    try:
        return ab.prepare_third(work)
    except SystemExit:
        cache = REPO / "tools" / "it" / ".cache" / "third" / "data"
        if not (cache / "calib.parquet").exists():
            raise SystemExit("third model data missing: run tools/it/setup-third.sh (or models/third/prepare.py)")
        shadow = work / "third-shadow"
        shadow.mkdir(exist_ok=True)
        for name, target in (("ppocr_det_v4.onnx", ab.THIRD_DIR / "ppocr_det_v4.onnx"), ("data", cache)):
            if not (shadow / name).exists():
                (shadow / name).symlink_to(target)
        ab.THIRD_DIR = shadow
        return ab.prepare_third(work)


def prepare(work, doc):
    """Runs the preparation in a child so this parent stays small (its RSS would otherwise be
    counted in every child's ru_maxrss, the anchor's measurement)."""
    t0 = time.perf_counter()
    res = work / "prepared.json"
    m = run_measured([sys.executable, Path(__file__).resolve(), "--child-prepare", work], work / "logs" / "prepare.log",
                     env={**os.environ, "PYTHONUNBUFFERED": "1"}, timeout=1800)
    if m["exit"] != 0:
        raise SystemExit("preparation failed:\n" + (work / "logs" / "prepare.log").read_text()[-3000:])
    with open(res) as f:
        d = json.load(f)
    if d.get("third_dir"):
        ab.THIRD_DIR = Path(d["third_dir"])
    doc["data"] = d["data"]
    doc["timing"]["prepare_s"] = time.perf_counter() - t0
    return d["infos"], {(k.split("/")[0], int(k.split("/")[1])): Path(v["path"]) for k, v in d["data"].items()}


def child_prepare(work):
    work = Path(work)
    doc = {"timing": {}}
    infos, data = prepare_here(work, doc)
    with open(work / "prepared.json", "w") as f:
        json.dump({"infos": infos, "data": doc["data"], "third_dir": str(ab.THIRD_DIR)}, f)
    return 0


def prepare_here(work, doc):
    import pyarrow as pa
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    infos = {"digits": ab.prepare_digits(work), "third": third_info(work), "minilm": ab.prepare_minilm(work)}
    data = {}
    for model, info in infos.items():
        sizes = list(SIZES[model]) + ([SCALING_ROWS] if model == "minilm" else [])
        for n in sizes:
            path = work / f"{model}-{n}.parquet"
            data[(model, n)] = path
            if path.exists():
                continue
            if model == "third":
                t = pq.read_table(Path(info["data"]) / "calib.parquet").slice(0, n)
                assert t.num_rows == n, (t.num_rows, n)
                # row groups of 50 rows, as models/third/prepare.py writes them: with one row group
                # of 200 rows x 307,200 floats, Spark's vectorized Parquet reader (4096-row batches)
                # cannot reserve the column vector and Octet fails (seen in a first attempt)
                pq.write_table(t.select(["id", "image"]), path, row_group_size=50)
                continue
            feeds, extra = ab.load_rows(model, info, "calib", n)
            if model == "minilm":
                cols = {"id": pa.array(extra, pa.string())}
                for k in ("input_ids", "attention_mask", "token_type_ids"):
                    cols[k] = pa.array([f[k][0] for f in feeds], pa.list_(pa.int64()))
            else:
                with open(info["data"], "rb") as f:
                    base = [r["id"] for r in pickle.load(f)["calib"]]
                ids = [base[i % len(base)] + ("" if i < len(base) else f"-rep{i // len(base)}") for i in range(n)]
                cols = {"id": pa.array(ids, pa.string()), "label": pa.array(extra, pa.int32()),
                        "image": pa.array([f["image"].ravel() for f in feeds], pa.list_(pa.float32()))}
            pq.write_table(pa.table(cols), path)
        # validation rows as Parquet too (scaling registry; never used for calibration)
    val = work / "minilm-val.parquet"
    if not val.exists():
        feeds, ids = ab.load_rows("minilm", infos["minilm"], "val")
        cols = {"id": pa.array(ids, pa.string())}
        for k in ("input_ids", "attention_mask", "token_type_ids"):
            cols[k] = pa.array([f[k][0] for f in feeds], pa.list_(pa.int64()))
        pq.write_table(pa.table(cols), val)
    doc["data"] = {
        f"{m}/{n}": {"path": str(p), "bytes": p.stat().st_size, "rows": n,
                     "note": ("the 179 calibration rows repeated 10 times (time/memory scaling only)"
                              if m == "digits" and n > 179 else None)}
        for (m, n), p in sorted(data.items())}
    doc["timing"]["prepare_s"] = time.perf_counter() - t0
    return infos, data


# --------------------------------------------------------------------------------------------
# Child processes with wall time, peak RSS and CPU
# --------------------------------------------------------------------------------------------


def vm_hwm(pid):
    """Peak RSS of the process's current address space (VmHWM, kB -> bytes); None once gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def run_measured(cmd, log_path, env=None, timeout=900):
    """Runs a child; peak RSS = the largest VmHWM read every 0.1 s. (wait4's ru_maxrss is kept too,
    but on Linux it starts from the forking parent's RSS: a child forked from a big parent reports
    at least that.)"""
    t0 = time.perf_counter()
    l0 = load1()
    with open(log_path, "w") as lf:
        p = subprocess.Popen([str(c) for c in cmd], stdout=lf, stderr=subprocess.STDOUT, env=env,
                             start_new_session=True, cwd=REPO)
        timed_out = False
        hwm = 0
        while True:
            h = vm_hwm(p.pid)
            if h:
                hwm = max(hwm, h)
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout:
                timed_out = True
                os.killpg(p.pid, signal.SIGKILL)
                _, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.1)
    wall = time.perf_counter() - t0
    return {"exit": os.waitstatus_to_exitcode(status), "timed_out": timed_out, "wall_s": wall,
            "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_bytes": hwm or None,
            "ru_maxrss_bytes": ru.ru_maxrss * 1024, "parent_rss_bytes": self_rss(),
            "loadavg_1min_start_end": [l0, load1()]}


def self_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def octet_id(model, rows, opset, method):
    return f"{model}/{rows}/octet-{opset}-{method}"


def run_octet(model, rows, opset, method, info, data, work):
    rid = octet_id(model, rows, opset, method)
    out = work / "int8" / (rid.replace("/", "_") + ".onnx")
    out.parent.mkdir(exist_ok=True)
    for p in (out, Path(str(out) + ".calibration.json")):
        if p.exists():
            p.unlink()
    wh = work / "octet-warehouse"
    cmd = [OCTET_HOME / "bin" / "octet", "quantize-one", "--model", info["fp32"], "--calibration", data[(model, rows)],
           "--out", out, "--skip-validation", "--warehouse", wh]
    cmd += ["--mode", "dynamic"] if method == "dynamic" else ["--method", method]
    for s in OCTET_SETS[model] + OPSET_SETS[opset]:
        cmd += ["--set", s]
    env = {**os.environ, "OCTET_DRIVER_MEMORY": OCTET_DRIVER_MEMORY, "SPARK_LOCAL_IP": "127.0.0.1"}
    log(f"{rid}: bin/octet quantize-one ...")
    logp = work / "logs" / (rid.replace("/", "_") + ".log")
    m = run_measured(cmd, logp, env=env)
    text = logp.read_text(errors="replace")
    stages = {}
    for mm in STAGE_RE.finditer(text):
        stages[mm.group(2)] = {"seconds": float(mm.group(4)), "detail": mm.group(3)}
    rec = {"id": rid, "tool": "octet", "model": model, "rows": rows if method != "dynamic" else 0,
           "calibration_rows_file": rows, "opset": opset, "method": method if method != "dynamic" else None,
           "mode": "dynamic" if method == "dynamic" else "static",
           "command": " ".join(shlex_quote(str(c)) for c in cmd),
           "env": {"OCTET_DRIVER_MEMORY": OCTET_DRIVER_MEMORY}, "process": m, "stages": stages,
           "status": "ok" if m["exit"] == 0 and out.exists() else
           (f"timeout after {m['wall_s']:.0f} s" if m["timed_out"] else f"failed: exit {m['exit']}"),
           "int8": str(out)}
    if rec["status"] != "ok":
        rec["log_tail"] = text[-2500:]
        log(f"{rid}: {rec['status']}")
        return rec
    rec["calib_quant_s"] = sum(s["seconds"] for s in stages.values())
    rec["size"] = {"fp32_bytes": os.path.getsize(info["fp32"]), "int8_bytes": os.path.getsize(out)}
    cal = Path(str(out) + ".calibration.json")
    rec["calibration_table"] = str(cal) if cal.exists() else None
    st = ", ".join(f"{k} {v['seconds']:.1f} s" for k, v in stages.items())
    log(f"{rid}: stages {st}; process "
        f"{m['wall_s']:.1f} s, peak RSS {m['peak_rss_bytes'] / MB:.0f} MB, load {m['loadavg_1min_start_end']}")
    return rec


def shlex_quote(s):
    import shlex

    return shlex.quote(s)


def run_anchor(model, rows, v, info, work, timeout, mem_gb):
    """The anchor's quantize child, spec built as anchor_bench.run_one builds it."""
    rid = f"{model}/{rows if v['mode'] == 'static' else 0}/{v['id']}"
    int8 = work / "int8" / ("anchor_" + rid.replace("/", "_") + ".onnx")
    int8.parent.mkdir(exist_ok=True)
    cache = Path(str(int8) + ".calib.json")
    for p in (int8, cache):
        if p.exists():
            p.unlink()
    spec = {
        "model": model, "info": info, "rows": rows, "fp32": info["fp32"], "int8": str(int8),
        "calib_cache": str(cache),
        "input": info["opset13_input"] if v.get("opset13") else (
            info.get("static_input", info["fp32"]) if v["mode"] == "static" else info["fp32"]),
        "op_types": v.get("op_types"),
        **{k: v.get(k) for k in ("mode", "method", "activation", "pad_to", "extra_options", "per_channel",
                                 "preprocess", "opset13")},
    }
    log(f"anchor {rid}: quantize child ...")
    l0 = load1()
    res, wall, peak, ended = ab.spawn("quantize", spec, work, timeout, mem_gb * GiB)
    rec = {"id": rid, "tool": "anchor", "model": model, "rows": rows if v["mode"] == "static" else 0,
           "method": v.get("method"), "mode": v["mode"], "variant": v["id"],
           "op_types": v.get("op_types") or "ORT default", "preprocessed": bool(v.get("preprocess")),
           "status": ended, "source": "re-run here (bench/anchor/anchor_bench.py quantize child)",
           "process": {"wall_s": wall, "cpu_s": res.get("cpu_s"), "peak_rss_bytes": peak,
                       "peak_rss_method": "anchor_bench.spawn: max(wait4 ru_maxrss, 0.1 s psutil samples)",
                       "parent_rss_bytes": self_rss(),
                       "loadavg_1min_start_end": [l0, load1()]},
           "calib_quant_s": res.get("wall_s"), "int8": str(int8)}
    if ended != "ok":
        rec["log_tail"] = (res.get("traceback") or res.get("log_tail") or "")[-1500:]
        log(f"anchor {rid}: {ended}")
        return rec, None
    rec["size"] = {"fp32_bytes": os.path.getsize(info["fp32"]), "int8_bytes": os.path.getsize(int8)}
    th = {"calibrator": ab.calib_ranges(cache)} if cache.exists() else {}
    log(f"anchor {rid}: quantize_static/dynamic {res['wall_s']:.1f} s, process {wall:.1f} s, "
        f"peak RSS {peak / MB:.0f} MB")
    return rec, th


# --------------------------------------------------------------------------------------------
# 4. Evaluation child: the anchor's child_evaluate per INT8 file, then interleaved latency
# --------------------------------------------------------------------------------------------


def graph_signature(path):
    """Hash of the node list (op type, inputs, outputs, attributes): equal for two INT8 files that
    differ only in constants (scales, zero points, weights)."""
    import onnx

    m = onnx.load(path, load_external_data=False)
    h = hashlib.sha256()
    for n in m.graph.node:
        h.update(n.op_type.encode())
        h.update("|".join(n.input).encode())
        h.update("|".join(n.output).encode())
        for a in n.attribute:
            if a.type != onnx.AttributeProto.TENSOR:
                h.update(a.SerializeToString())
    return h.hexdigest()[:16]


def child_eval(spec_path):
    import numpy as np

    with open(spec_path) as f:
        spec = json.load(f)
    model, info, fp32 = spec["model"], spec["info"], spec["fp32"]
    lat_rows, lat_rounds = ab.LATENCY[model]
    # The anchor's fidelity code as is. Two changes of scope, not of metric: FP32 outputs of the
    # validation rows are computed once per process and reused for every INT8 file (same rows,
    # same session settings), and the anchor's own 2-model latency loop is cut to one row because
    # the interleaved multi-model timing below replaces it.
    orig_session, orig_run_all = ab._session, ab._run_all
    memo = {}

    def session(path):
        s = orig_session(path)
        s._cmp_path = str(path)
        return s

    def run_all(sess, feeds):
        p = getattr(sess, "_cmp_path", None)
        if p == fp32:
            key = (p, len(feeds))
            if key not in memo:
                memo[key] = orig_run_all(sess, feeds)
            return memo[key]
        return orig_run_all(sess, feeds)

    ab._session, ab._run_all = session, run_all
    ab.LATENCY = {**ab.LATENCY, model: (1, 1)}
    out = {"fidelity": {}, "latency": {}}
    tmp = Path(spec_path).with_suffix(".one.json")
    for label, path in spec["int8"].items():
        t0 = time.perf_counter()
        ab.child_evaluate({"model": model, "info": info, "fp32": fp32, "int8": path, "result": str(tmp)})
        with open(tmp) as f:
            r = json.load(f)
        r.pop("latency", None)
        r["wall_s"] = time.perf_counter() - t0
        out["fidelity"][label] = r
        print(f"  fidelity {label}: {r.get('status')} {r.get('fidelity')} ({r['wall_s']:.1f} s)", flush=True)
        with open(spec["result"], "w") as f:
            json.dump(out, f)
    ab._session, ab._run_all = orig_session, orig_run_all

    # Latency: FP32 and one INT8 file per distinct graph (files that differ only in constants run
    # the same kernels), batch 1, the anchor's thread settings, rows and rounds; every round runs
    # each model over the same rows, the order rotating and reversing from round to round; median.
    feeds, _ = ab.load_rows(model, info, "val")
    feeds = feeds[:lat_rows]
    groups = {}
    for label, path in spec["int8"].items():
        groups.setdefault(graph_signature(path), []).append(label)
    timed = [("fp32", fp32)] + [(labels[0], spec["int8"][labels[0]]) for labels in groups.values()]
    sessions = [(lab, ab._session(p)) for lab, p in timed]
    for _, s in sessions:
        for f in feeds[: max(1, len(feeds) // 4)]:
            s.run(None, f)
    times = {lab: [] for lab, _ in sessions}
    l0 = load1()
    for r in range(lat_rounds):
        k = r % len(sessions)
        order = sessions[k:] + sessions[:k]
        if r % 2:
            order = order[::-1]
        for lab, s in order:
            t0 = time.perf_counter()
            for f in feeds:
                s.run(None, f)
            times[lab].append((time.perf_counter() - t0) / len(feeds) * 1e3)
    med = {lab: float(np.median(v)) for lab, v in times.items()}
    out["latency"] = {
        "rows_per_pass": len(feeds), "rounds": lat_rounds, "batch": 1, "intra_op_threads": ab.INTRA_OP,
        "inter_op_threads": ab.INTER_OP, "loadavg_1min_start_end": [l0, load1()],
        "ms_per_row_median": med, "ms_per_row_each_round": times,
        "groups": {g: labels for g, labels in groups.items()},
        "timed_as": {lab: labels[0] for labels in groups.values() for lab in labels},
    }
    with open(spec["result"], "w") as f:
        json.dump(out, f)
    return 0


def evaluate_model(model, info, int8s, work, timeout=3600):
    spec = {"model": model, "info": info, "fp32": info["fp32"], "int8": int8s,
            "result": str(work / f"eval-{model}.result.json")}
    sp = work / f"eval-{model}.spec.json"
    with open(sp, "w") as f:
        json.dump(spec, f)
    if os.path.exists(spec["result"]):
        os.unlink(spec["result"])
    log(f"eval {model}: {len(int8s)} INT8 files, fresh process ...")
    m = run_measured([sys.executable, Path(__file__).resolve(), "--child-eval", sp],
                     work / "logs" / f"eval-{model}.log", env={**os.environ, "PYTHONUNBUFFERED": "1"},
                     timeout=timeout)
    res = {}
    if os.path.exists(spec["result"]):
        with open(spec["result"]) as f:
            res = json.load(f)
    res["process"] = m
    if m["exit"] != 0:
        res["log_tail"] = (work / "logs" / f"eval-{model}.log").read_text(errors="replace")[-2500:]
    log(f"eval {model}: {m['wall_s']:.0f} s, exit {m['exit']}")
    return res


# --------------------------------------------------------------------------------------------
# 5. Thresholds
# --------------------------------------------------------------------------------------------


def octet_table(path):
    with open(path) as f:
        d = json.load(f)
    return {t["tensor"]: t for t in d["tensors"]}


def abs_percentile(hist, p):
    """|x| quantile p (0..1) of an Octet histogram: bins folded at 0, linear inside a bin,
    clamped to max |x| (what ORT's symmetric percentile computes, on Octet's bins)."""
    w = hist["bin-width"]
    first = hist["first-bin"]
    folded = {}
    for i, c in enumerate(hist["counts"]):
        if c:
            j = first + i
            j = j if j >= 0 else -j - 1
            folded[j] = folded.get(j, 0) + c
    amax = max(abs(hist["min"]), abs(hist["max"]))
    total = sum(folded.values())
    target = p * total
    before = 0
    for j in sorted(folded):
        c = folded[j]
        if before + c >= target:
            frac = (target - before) / c
            return min(amax, (j + frac) * w)
        before += c
    return amax


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


def compare_thresholds(octet, anchor, method, anchor_minmax=None):
    common = [t for t in octet if t in anchor]
    if not common:
        return {"common_tensors": 0}
    hi_rel = [rel(octet[t]["range"][1], anchor[t][1]) for t in common]
    lo_rel = [rel(octet[t]["range"][0], anchor[t][0]) for t in common if abs(anchor[t][0]) > 1e-9]
    signed = [octet[t]["range"][1] / anchor[t][1] - 1 for t in common if abs(anchor[t][1]) > 1e-12]
    worst = sorted(common, key=lambda t: -rel(octet[t]["range"][1], anchor[t][1]))[:5]
    out = {
        "octet_tensors": len(octet), "anchor_tensors": len(anchor), "common_tensors": len(common),
        "hi_rel_diff_median": statistics.median(hi_rel), "hi_rel_diff_max": max(hi_rel),
        "hi_differ_gt_10pct": sum(x > 0.10 for x in hi_rel),
        "hi_octet_over_anchor_minus_1_median": statistics.median(signed) if signed else None,
        "lo_rel_diff_median": statistics.median(lo_rel) if lo_rel else None,
        "worst": [{"tensor": t, "octet": octet[t]["range"], "anchor": anchor[t],
                   "data_min_max": [octet[t]["histogram"]["min"], octet[t]["histogram"]["max"]]} for t in worst],
    }
    # Causes that can be shown from the stored histograms
    nonneg = [t for t in common if octet[t]["histogram"]["min"] >= 0]
    out["anchor_negative_lo_on_nonnegative_data"] = sum(anchor[t][0] < 0 for t in nonneg)
    out["nonnegative_tensors"] = len(nonneg)
    if method == "minmax":
        out["exactly_equal_hi"] = sum(rel(octet[t]["range"][1], anchor[t][1]) < 1e-6 for t in common)
    if method == "percentile":
        # ORT: symmetric |x| percentile 99.999 (2048 bins from the first collected batch's range).
        # Octet: two-sided asymmetric [q(0.000005), q(0.999995)] on its 4096-bin power-of-two grid.
        sym = {t: abs_percentile(octet[t]["histogram"], 0.99999) for t in common}
        r = [rel(sym[t], anchor[t][1]) for t in common]
        out["octet_hist_ort_definition"] = {
            "note": "ORT's definition (|x| quantile 99.999, symmetric) recomputed on Octet's stored histogram",
            "hi_rel_diff_median": statistics.median(r), "hi_rel_diff_max": max(r),
            "hi_differ_gt_10pct": sum(x > 0.10 for x in r)}
    if method == "entropy":
        amax_o = {t: max(abs(octet[t]["histogram"]["min"]), abs(octet[t]["histogram"]["max"])) for t in common}
        out["anchor_threshold_is_max_abs"] = sum(rel(max(abs(anchor[t][0]), abs(anchor[t][1])), amax_o[t]) < 1e-3
                                                 for t in common)
        out["octet_clipped_below_max"] = sum(octet[t]["range"][1] < 0.999 * octet[t]["histogram"]["max"]
                                             for t in common if octet[t]["histogram"]["max"] > 0)
        out["octet_hi_over_max_median"] = statistics.median(
            [octet[t]["range"][1] / octet[t]["histogram"]["max"] for t in common if octet[t]["histogram"]["max"] > 0])
    if anchor_minmax:
        both = [t for t in common if t in anchor_minmax]
        if both:
            out["anchor_hi_equals_anchor_minmax_hi"] = sum(rel(anchor[t][1], anchor_minmax[t][1]) < 1e-4 for t in both)
    return out


# --------------------------------------------------------------------------------------------
# 6. Scaling on a standalone cluster
# --------------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spark_env(spark_home, run_dir):
    env = {k: v for k, v in os.environ.items()
           if not (k.upper().startswith(("SPARK_", "PYSPARK_")) or k in ("HADOOP_CONF_DIR", "YARN_CONF_DIR",
                                                                          "_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS"))}
    for d in ("conf", "local", "logs", "pids"):
        (run_dir / d).mkdir(parents=True, exist_ok=True)
    env.update({"SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1",
                "SPARK_CONF_DIR": str(run_dir / "conf"), "SPARK_LOCAL_DIRS": str(run_dir / "local"),
                "SPARK_LOG_DIR": str(run_dir / "logs"), "SPARK_PID_DIR": str(run_dir / "pids"),
                "SPARK_DAEMON_MEMORY": "512m"})
    return env


def wait_workers(webui, n, timeout=120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{webui}/json/", timeout=3) as r:
                st = json.load(r)
            if sum(w.get("state") == "ALIVE" for w in st.get("workers", [])) == n:
                return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{n} workers not alive after {timeout} s")


def scaling(info, data, work, doc):
    res = {"rows": SCALING_ROWS, "partitions": 4, "runs": {}}
    sh = subprocess.run([REPO / "tools" / "it" / "setup-spark.sh", "--quiet"], capture_output=True, text=True,
                        check=True)
    spark_home = Path(sh.stdout.strip().splitlines()[-1])
    jar = sorted((OCTET_HOME / "jobs" / "target").glob("octet-jobs-*-shaded.jar"))[0]
    res["spark_home"] = str(spark_home)
    res["jar"] = {"path": str(jar), "sha256": sha256(jar)}
    run_dir = work / "cluster"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    env = spark_env(spark_home, run_dir)
    port, webui = free_port(), free_port()
    procs = []

    def start(args, name):
        lf = open(run_dir / f"{name}.log", "w")
        p = subprocess.Popen([str(spark_home / "bin" / "spark-class"), *args], stdout=lf, stderr=subprocess.STDOUT,
                             env=env, cwd=run_dir, start_new_session=True)
        procs.append(p)
        return p

    def worker(i):
        wd = run_dir / f"worker-{i}" / "work"
        wd.mkdir(parents=True, exist_ok=True)
        start(["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--webui-port", str(free_port()),
               "--cores", "1", "--memory", "1536m", "--work-dir", str(wd), f"spark://127.0.0.1:{port}"],
              f"worker-{i}")

    try:
        start(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
               "--webui-port", str(webui)], "master")
        worker(0)
        wait_workers(webui, 1)
        for n in (1, 2):
            if n == 2:
                worker(1)
                wait_workers(webui, 2)
            wh = run_dir / f"warehouse-{n}"
            reg = run_dir / f"registry-{n}.conf"
            reg.write_text(
                f'warehouse = "{wh.as_uri()}"\n'
                "models {\n  minilm {\n"
                f'    uri = "{Path(info["fp32"]).resolve().as_uri()}"\n'
                "    quantization { op-types = [MatMul], method = mse }\n"
                f'    calibration {{ dataset = "{data[("minilm", SCALING_ROWS)].resolve().as_uri()}", '
                f'partitions = {res["partitions"]} }}\n'
                f'    validation {{ dataset = "{(work / "minilm-val.parquet").resolve().as_uri()}", pooling = mean }}\n'
                "    inputs = [\n"
                "      { name = input_ids, column = input_ids, dtype = int64, shape = [-1] }\n"
                "      { name = attention_mask, column = attention_mask, dtype = int64, shape = [-1] }\n"
                "      { name = token_type_ids, column = token_type_ids, dtype = int64, shape = [-1] }\n"
                "    ]\n  }\n}\n")
            props = run_dir / f"submit-{n}.conf"
            props.write_text("\n".join(f"{k}={v}" for k, v in {
                "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                "spark.driver.memory": "1g", "spark.executor.memory": "1g", "spark.executor.cores": "1",
                "spark.cores.max": str(n), "spark.task.cpus": "1", "spark.ui.enabled": "false",
                "spark.sql.shuffle.partitions": "4", "spark.scheduler.minRegisteredResourcesRatio": "1.0",
                "spark.scheduler.maxRegisteredResourcesWaitingTime": "60s",
            }.items()) + "\n")
            run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
            cmd = [spark_home / "bin" / "spark-submit", "--master", f"spark://127.0.0.1:{port}", "--deploy-mode",
                   "client", "--properties-file", props, "--class", "io.octet.jobs.Main", jar, "calibrate",
                   "--registry", reg, "--model", "minilm", "--run-id", run_id]
            log(f"scaling: {n} executor(s), {SCALING_ROWS} rows, {res['partitions']} partitions ...")
            logp = run_dir / f"submit-{n}.log"
            before = set(run_dir.glob("worker-*/work/*/*/stderr"))
            sampler = ExecutorRss(run_dir)
            sampler.start()
            try:
                m = run_measured(cmd, logp, env=env, timeout=900)
            finally:
                sampler.stop()
            text = logp.read_text(errors="replace")
            st = {mm.group(2): float(mm.group(4)) for mm in STAGE_RE.finditer(text)}
            rec = {"executors": n, "command": " ".join(str(c) for c in cmd), "process": m,
                   "calibrate_s": st.get("calibrate"), "status": "ok" if m["exit"] == 0 and "calibrate" in st
                   else f"failed: exit {m['exit']}"}
            stages_ms = {}
            for stage, ms in re.findall(r"Finished task \S+ in stage (\S+) \(TID \d+\) in (\d+) ms", text):
                stages_ms.setdefault(stage, []).append(int(ms))
            rec["driver_task_ms_by_stage"] = stages_ms
            if stages_ms:
                # the calibration stage: the one whose tasks took longest in total
                cal = max(stages_ms.values(), key=sum)
                rec["calibration_task_ms"] = cal
                rec["calibration_task_ms_per_row"] = sum(cal) / SCALING_ROWS
            # executor logs: session open time, result sizes
            sess, results = [], []
            rec["executor_peak_rss_bytes"] = sampler.peak
            for f in sorted(set(run_dir.glob("worker-*/work/*/*/stderr")) - before):
                t = f.read_text(errors="replace")
                sess += [int(x) for x in re.findall(r"Opened ONNX Runtime session for \S+ \(\d+ threads\) in (\d+) ms", t)]
                results += [int(x) for x in re.findall(r"(\d+) bytes result sent (?:to driver|via BlockManager)", t)]
            rec["session_open_ms"] = sess
            rec["task_result_bytes"] = results
            if rec["status"] != "ok":
                rec["log_tail"] = text[-2500:]
            res["runs"][str(n)] = rec
            log(f"scaling: {n} executor(s): calibrate {rec['calibrate_s']} s, process {m['wall_s']:.1f} s, "
                f"load {m['loadavg_1min_start_end']}")
            time.sleep(2)
    finally:
        for p in reversed(procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    t1 = (res["runs"].get("1") or {}).get("calibrate_s")
    t2 = (res["runs"].get("2") or {}).get("calibrate_s")
    if t1 and t2:
        res["speedup"] = t1 / t2
        res["efficiency"] = t1 / (2 * t2)
    doc["scaling"] = res


class ExecutorRss:
    """Samples the RSS of the executor JVMs (descendants of the worker daemons) every 0.25 s."""

    def __init__(self, run_dir):
        import threading

        self.run_dir, self.peak, self._stop = str(run_dir), {}, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._t.start()

    def stop(self):
        self._stop.set()
        self._t.join()

    def _run(self):
        import psutil

        while not self._stop.is_set():
            for c in psutil.process_iter(["pid", "cmdline", "cwd"]):
                try:
                    if "CoarseGrainedExecutorBackend" in (c.info["cmdline"] or []) and \
                            (c.info["cwd"] or "").startswith(self.run_dir):
                        self.peak[str(c.pid)] = max(self.peak.get(str(c.pid), 0), c.memory_info().rss)
                except psutil.Error:
                    pass
            time.sleep(0.25)


# --------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------


def environment():
    env = ab.environment()
    env["loadavg_at_start"] = list(os.getloadavg())
    try:
        env["java"] = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    except OSError:
        env["java"] = None
    pom = (REPO / "pom.xml").read_text()
    for key in ("spark.version", "onnxruntime.version"):
        mm = re.search(rf"<{re.escape(key)}>([^<]+)</", pom)
        env[key] = mm.group(1) if mm else None
    env["git_head"] = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    jar = sorted((OCTET_HOME / "jobs" / "target").glob("octet-jobs-*-SNAPSHOT.jar"))
    env["octet_jar"] = {"path": str(jar[0]), "sha256": sha256(jar[0]),
                        "mtime": dt.datetime.fromtimestamp(jar[0].stat().st_mtime, dt.timezone.utc).isoformat()} if jar else None
    return env


def counterpart(model, opset, method, anchor_ids):
    """The anchor INT8 this Octet file is timed against: same method where the anchor has it."""
    if model == "minilm":
        if method == "dynamic":
            return "minilm/0/dynamic-pc1"
        return "minilm/500/static-minmax-u8" if opset == "default" else "minilm/500/static-minmax-u8-matmul-add"
    if method == "dynamic":
        return "digits/0/dynamic-pc1" if model == "digits" else "third/0/dynamic-pc1-preprocessed"
    m = method if method != "mse" else "minmax"
    if model == "digits":
        return f"digits/179/static-{m}-u8"
    return f"third/20/static-{m}-u8-opset13-preprocessed"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/octet-compare-work", help="data, INT8 files, logs (kept)")
    ap.add_argument("--phases", default="prepare,octet,anchor,eval,thresholds,scaling,report")
    ap.add_argument("--models", default="digits,third,minilm")
    ap.add_argument("--only", help="regex over Octet/anchor run ids (debugging)")
    ap.add_argument("--out", help="results JSON (default bench/results/compare-<UTC date>.json)")
    ap.add_argument("--report-only", metavar="JSON", help="rewrite bench/results/compare.md from a results JSON")
    ap.add_argument("--anchor-timeout", type=int, default=600)
    ap.add_argument("--anchor-mem-limit-gb", type=float, default=12.0)
    ap.add_argument("--child-eval", help=argparse.SUPPRESS)
    ap.add_argument("--child-prepare", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_eval:
        sys.exit(child_eval(args.child_eval))
    if args.child_prepare:
        sys.exit(child_prepare(args.child_prepare))
    if args.report_only:
        with open(args.report_only) as f:
            doc = json.load(f)
        import compare_report

        compare_report.write(doc, RESULTS / "compare.md", Path(args.report_only))
        return

    phases = set(args.phases.split(","))
    models = args.models.split(",")
    work = Path(args.work).resolve()
    (work / "logs").mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    out = Path(args.out) if args.out else RESULTS / f"compare-{started.strftime('%Y-%m-%d')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    doc = {"schema": "octet-compare/1", "created": started.isoformat(timespec="seconds"),
           "command": "bench/compare " + " ".join(sys.argv[1:]), "complete": False,
           "environment": environment(), "timing": {},
           "settings": {"octet_driver_memory": OCTET_DRIVER_MEMORY, "sizes": SIZES,
                        "octet_sets": OCTET_SETS, "opset_sets": OPSET_SETS,
                        "anchor_mem_limit_gb": args.anchor_mem_limit_gb, "anchor_timeout_s": args.anchor_timeout,
                        "latency": {k: {"rows_per_pass": v[0], "rounds": v[1]} for k, v in ab.LATENCY.items()},
                        "anchor_results": "bench/anchor/results/anchor-2026-11-29.json"},
           "runs": [], "evaluation": {}, "thresholds": {}}

    def save():
        doc["total_wall_s"] = time.perf_counter() - t_start
        with open(out, "w") as f:
            json.dump(doc, f, indent=1, allow_nan=True)
            f.write("\n")

    snapshot(work, doc)
    doc["environment"] = environment()
    infos, data = prepare(work, doc)
    save()
    sel = re.compile(args.only) if args.only else None
    anchor_th = {}
    if "octet" in phases:
        t0 = time.perf_counter()
        for model, rows, opset, method in octet_plan():
            if model not in models or (sel and not sel.search(octet_id(model, rows, opset, method))):
                continue
            doc["runs"].append(run_octet(model, rows, opset, method, infos[model], data, work))
            save()
        doc["timing"]["octet_s"] = time.perf_counter() - t0
    if "anchor" in phases:
        t0 = time.perf_counter()
        for model, rows, v in anchor_plan():
            rid = f"{model}/{rows if v['mode'] == 'static' else 0}/{v['id']}"
            if model not in models or (sel and not sel.search(rid)):
                continue
            rec, th = run_anchor(model, rows, v, infos[model], work, args.anchor_timeout, args.anchor_mem_limit_gb)
            doc["runs"].append(rec)
            if th:
                anchor_th[rec["id"]] = th
            save()
        doc["timing"]["anchor_s"] = time.perf_counter() - t0
    # committed anchor figures for what this run does not redo
    with open(REPO / doc["settings"]["anchor_results"]) as f:
        committed = json.load(f)
    with open(REPO / "bench/anchor/results/anchor-2026-11-29-thresholds.json") as f:
        committed_th = json.load(f)["runs"]
    redone = {r["id"] for r in doc["runs"] if r["tool"] == "anchor"}
    for r in committed["runs"]:
        if r["model"] in models and CITED_ANCHOR.match(r["id"]) and r["id"] not in redone:
            doc["runs"].append({"id": r["id"], "tool": "anchor", "model": r["model"], "rows": r["rows"],
                                "method": r.get("method"), "mode": r["mode"], "variant": r["id"].split("/")[-1],
                                "op_types": r.get("op_types_to_quantize"), "status": r["status"],
                                "source": "cited: " + doc["settings"]["anchor_results"] + " (another run, same code)",
                                "workaround": r.get("workaround"),
                                "process": {"wall_s": (r.get("quantize") or {}).get("child_wall_s"),
                                            "cpu_s": (r.get("quantize") or {}).get("child_cpu_s"),
                                            "peak_rss_bytes": (r.get("quantize") or {}).get("peak_rss_bytes"),
                                            "loadavg_1min_start_end": (r.get("quantize") or {}).get("loadavg_1min_start_end")},
                                "calib_quant_s": (r.get("quantize") or {}).get("wall_s")
                                or (r.get("quantize") or {}).get("wall_s_to_failure"),
                                "size": r.get("size"), "cited_eval": r.get("eval"), "failure_kind": r.get("failure_kind")})
    save()

    if "eval" in phases:
        t0 = time.perf_counter()
        for model in models:
            int8s = {r["id"]: r["int8"] for r in doc["runs"]
                     if r["model"] == model and r["status"] == "ok" and r.get("int8") and os.path.exists(r["int8"])}
            if int8s:
                doc["evaluation"][model] = evaluate_model(model, infos[model], int8s, work)
                save()
        doc["timing"]["eval_s"] = time.perf_counter() - t0

    if "thresholds" in phases:
        for model in models:
            for method in ("minmax", "percentile", "entropy"):
                o = [r for r in doc["runs"] if r["tool"] == "octet" and r["model"] == model and r["method"] == method
                     and r["status"] == "ok" and r["rows"] == SIZES[model][0] and r.get("calibration_table")]
                if not o:
                    continue
                o = sorted(o, key=lambda r: r["opset"] != "default")[0]  # the widest op set run
                aid = {"digits": f"digits/179/static-{method}-u8",
                       "third": f"third/20/static-{method}-u8-opset13-preprocessed",
                       "minilm": "minilm/500/static-minmax-u8" if method == "minmax"
                       else f"minilm/500/static-{method}-u8-strided1-matmul-add"}[model]
                if aid in anchor_th:
                    a, src = anchor_th[aid]["calibrator"], "this run"
                elif aid in committed_th:
                    a, src = committed_th[aid]["calibrator"], "committed anchor thresholds file"
                else:
                    continue
                mm_id = {"digits": "digits/179/static-minmax-u8",
                         "third": "third/20/static-minmax-u8-opset13-preprocessed",
                         "minilm": "minilm/500/static-minmax-u8"}[model]
                amm = (anchor_th.get(mm_id) or committed_th.get(mm_id) or {}).get("calibrator")
                c = compare_thresholds(octet_table(o["calibration_table"]), a, method, amm)
                c.update({"octet_run": o["id"], "anchor_run": aid, "anchor_source": src})
                doc["thresholds"][f"{model}/{method}"] = c
        doc["anchor_thresholds_this_run"] = {k: v["calibrator"] for k, v in anchor_th.items()}
        save()

    if "scaling" in phases and "minilm" in models:
        t0 = time.perf_counter()
        try:
            scaling(infos["minilm"], data, work, doc)
        except Exception as e:  # noqa: BLE001
            doc["scaling"] = {"status": f"failed: {type(e).__name__}: {e}"}
        doc["timing"]["scaling_s"] = time.perf_counter() - t0
        save()

    doc["environment"]["loadavg_at_end"] = list(os.getloadavg())
    doc["environment"]["octet_jar_sha256_at_end"] = environment()["octet_jar"]["sha256"]
    doc["counterparts"] = {r["id"]: counterpart(r["model"], r["opset"], r["method"] or "dynamic", None)
                           for r in doc["runs"] if r["tool"] == "octet"}
    doc["complete"] = True
    save()
    if "report" in phases:
        import compare_report

        compare_report.write(doc, RESULTS / "compare.md", out)
    log(f"wrote {out} ({doc['total_wall_s'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
