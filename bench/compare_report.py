"""Writes bench/results/compare.md from a compare results JSON (bench/compare.py)."""

import math
import statistics
from pathlib import Path

MB = 1e6
MODELS = ("minilm", "digits", "third")
TITLES = {"minilm": "all-MiniLM-L6-v2 (Europarl passages)", "digits": "digits CNN",
          "third": "PP-OCRv4 text detection (third model)"}


def fid_str(model, f):
    if not f:
        return ""
    if model == "minilm":
        return f"cos {f['cosine_mean']:.4f} / min {f['cosine_min']:.4f}"
    if model == "digits":
        return f"top-1 {100 * f['top1_int8']:.2f} % (FP32 {100 * f['top1_fp32']:.2f}), agree {100 * f['agreement']:.2f} %"
    return f"cos {f['cosine_all_pixels']:.4f}, SQNR {f['sqnr_db']:.1f} dB, IoU {f['text_mask_iou']:.3f}"


def score(model, f):
    """Primary fidelity figure (higher is better) for 'best method' comparisons."""
    if not f:
        return None
    if model == "minilm":
        return f["cosine_mean"]
    if model == "digits":
        return (f["top1_int8"], f["agreement"], f["logits_cosine_mean"])
    return (f["cosine_all_pixels"], f["sqnr_db"])


def fidelity(doc, r):
    ev = (doc.get("evaluation", {}).get(r["model"]) or {}).get("fidelity", {}).get(r["id"])
    if ev and ev.get("status") == "ok":
        return ev["fidelity"], False
    if r.get("cited_eval") and r["cited_eval"].get("status") == "ok":
        return r["cited_eval"]["fidelity"], True
    return None, False


def latency(doc, model, rid):
    lat = (doc.get("evaluation", {}).get(model) or {}).get("latency") or {}
    med = lat.get("ms_per_row_median") or {}
    timed = (lat.get("timed_as") or {}).get(rid)
    if timed is None or timed not in med:
        return None, None, None
    return med[timed], med.get("fp32"), timed


def fmt(x, spec=".1f", empty=""):
    return empty if x is None else format(x, spec)


def run_label(r):
    if r["tool"] == "octet":
        op = {"matmul": "MatMul only", "default": "Octet default ops"}[r["opset"]]
        return "Octet", op, r["method"] or "dynamic"
    op = r.get("op_types")
    op = "ORT default ops" if op in (None, "ORT default") else "+".join(op)
    v = r.get("variant", "")
    extra = []
    if "strided" in v:
        extra.append("strided")
    if r.get("preprocessed") or "preprocessed" in v:
        extra.append("pre-processed, opset 13")
    if r["mode"] == "dynamic":
        extra.append("per-channel" if "pc1" in v else "per-tensor")
    if r["mode"] == "reference":
        return "ORT (published -q model)", "dynamic", "reference"
    return "ORT" + (f" ({', '.join(extra)})" if extra else ""), op, r["method"] or "dynamic"


def model_table(doc, model):
    rows = [r for r in doc["runs"] if r["model"] == model]
    rows.sort(key=lambda r: (r["rows"] if r["rows"] else 0, r["tool"] != "octet",
                             str(r.get("opset")), str(r["method"])))
    out = ["| rows | tool | op set | method | status | calib+quant s | process s (CPU s) | peak RSS MB | load 1-min | "
           "fidelity vs FP32 | INT8 speedup vs FP32 | Octet INT8 ÷ ORT INT8 latency | size MB |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    notes = set()
    for r in rows:
        tool, op, method = run_label(r)
        p = r.get("process") or {}
        f, cited = fidelity(doc, r)
        ms, fp, timed = latency(doc, model, r["id"])
        sp = f"{fp / ms:.2f}×" if ms and fp else ""
        if not sp and cited and (r["cited_eval"] or {}).get("latency"):
            sp = f"{r['cited_eval']['latency']['speedup']:.2f}× †"
        if timed and timed != r["id"]:
            sp += " ‡"
            notes.add("‡")
        rel = ""
        if r["tool"] == "octet" and ms:
            cp = doc.get("counterparts", {}).get(r["id"])
            cms, _, _ = latency(doc, model, cp) if cp else (None, None, None)
            if cms:
                rel = f"{ms / cms:.2f} (vs {cp.split('/')[-1]})"
        st = r["status"] if r["status"] == "ok" else r["status"][:70]
        if cited:
            notes.add("†")
        src = " †" if r.get("source", "").startswith("cited") else ""
        sz = r.get("size") or {}
        size = f"{sz['int8_bytes'] / MB:.1f}" if sz else ""
        load = p.get("loadavg_1min_start_end")
        rss = p.get("peak_rss_bytes")
        out.append(
            f"| {r['rows'] or '–'} | {tool}{src} | {op} | {method} | {st} | {fmt(r.get('calib_quant_s'))} | "
            f"{fmt(p.get('wall_s'))} ({fmt(p.get('cpu_s'), '.0f')}) | {fmt(rss / MB if rss else None, '.0f')} | "
            f"{'→'.join(f'{x:.1f}' for x in load) if load else ''} | {fid_str(model, f) + (' †' if cited else '')} | "
            f"{sp} | {rel} | {size} |")
    return out


def unchanged(f):
    """Whether INT8 output equals FP32 to rounding: the run quantized nothing."""
    sq = f.get("sqnr_db")
    if sq is not None:
        return math.isinf(sq)
    low = f.get("logits_cosine_min", f.get("cosine_min"))
    return low is not None and low >= 1 - 1e-12


def best(doc, model, tool):
    cands = []
    for r in doc["runs"]:
        if r["model"] != model or r["tool"] != tool or r["status"] != "ok" or r["mode"] == "reference":
            continue
        f, _ = fidelity(doc, r)
        # A run whose output equals FP32 exactly quantized nothing (dynamic mode on a conv net has
        # no MatMul to quantize): not a contender.
        if f and not unchanged(f):
            cands.append((score(model, f), r, f))
    if not cands:
        return None
    return max(cands, key=lambda c: c[0])


def goals(doc):
    out = []
    out.append("### Calibration time: Octet vs the anchor, same model, rows and method\n")
    out.append("Octet's figure is the sum of the `calibrate` and `quantize` stage times it prints (inside one "
               "JVM with Spark already up); the anchor's is the `quantize_static` call (calibration inference, "
               "histograms, range choice, writing the model), timed inside its child. The process columns add "
               "start-up: JVM + local Spark session for Octet, Python imports + loading the rows for the anchor. "
               "Ratios > 1 mean Octet is faster.\n")
    out.append("| model | rows | method | Octet run | ORT run | ORT ÷ Octet (stage vs call) | ORT ÷ Octet (whole process) | Octet RSS MB | ORT RSS MB |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    octet = [r for r in doc["runs"] if r["tool"] == "octet" and r["status"] == "ok" and r["mode"] == "static"]
    anchors = [r for r in doc["runs"] if r["tool"] == "anchor" and r["mode"] == "static"]
    for o in octet:
        for a in anchors:
            if a["model"] != o["model"] or a["rows"] != o["rows"] or a["method"] != o["method"]:
                continue
            if o["model"] == "minilm" and (o["opset"] == "default") != (a.get("op_types") in (None, "ORT default")):
                continue
            if o["model"] == "third" and "opset13-preprocessed" not in a.get("variant", "") and a["status"] == "ok" \
                    and any(x["model"] == "third" and x["rows"] == a["rows"] and x["method"] == a["method"]
                            and "opset13-preprocessed" in x.get("variant", "") for x in anchors):
                continue
            ao, oo = a.get("calib_quant_s"), o.get("calib_quant_s")
            ap, op_ = (a.get("process") or {}).get("wall_s"), (o.get("process") or {}).get("wall_s")
            ok = a["status"] == "ok"
            ratio = f"{ao / oo:.2f}" if ao and oo and ok else ("ORT " + a["status"][:40] if not ok else "")
            pr = f"{ap / op_:.2f}" if ap and op_ and ok else ""
            arss = (a.get("process") or {}).get("peak_rss_bytes")
            out.append(f"| {o['model']} | {o['rows']} | {o['method']} | {o['opset']}, {oo:.1f} s | "
                       f"{a.get('variant')}{' †' if a.get('source', '').startswith('cited') else ''}, "
                       f"{fmt(ao)} s | {ratio} | {pr} | {fmt((o['process'].get('peak_rss_bytes') or 0) / MB, '.0f')} | "
                       f"{fmt(arss / MB if arss else None, '.0f')} |")
    out.append("")
    out.append("### Memory against rows (peak RSS, same tool, op set and method, 10× rows ÷ 1× rows)\n")
    out.append("| model | tool | run | 1× MB | 10× MB | ratio |")
    out.append("|---|---|---|---|---|---|")
    for model in MODELS:
        r1, r10 = doc["settings"]["sizes"][model]
        for tool in ("octet", "anchor"):
            runs = [r for r in doc["runs"] if r["model"] == model and r["tool"] == tool and r["status"] == "ok"
                    and r["mode"] == "static"]
            for a in runs:
                if a["rows"] != r1:
                    continue
                for b in runs:
                    if b["rows"] == r10 and b["method"] == a["method"] and b.get("opset") == a.get("opset") \
                            and b.get("variant") == a.get("variant"):
                        x, y = a["process"]["peak_rss_bytes"], b["process"]["peak_rss_bytes"]
                        if x and y:
                            lab = a.get("variant") or f"{a['opset']}-{a['method']}"
                            cited = " †" if b.get("source", "").startswith("cited") else ""
                            out.append(f"| {model} | {tool} | {lab}{cited} | {x / MB:.0f} | {y / MB:.0f} | {y / x:.2f} |")
    out.append("")
    out.append("### Fidelity: Octet's best vs the anchor's best method\n")
    out.append("| model | Octet best | ORT best | Octet ≥ ORT? |")
    out.append("|---|---|---|---|")
    for model in MODELS:
        o, a = best(doc, model, "octet"), best(doc, model, "anchor")
        if not o or not a:
            continue
        lab = lambda r: f"{r['rows'] or '–'} rows, {' / '.join(run_label(r)[1:])}"  # noqa: E731
        out.append(f"| {model} | {fid_str(model, o[2])} ({lab(o[1])}) | {fid_str(model, a[2])} ({lab(a[1])}) | "
                   f"{'yes' if o[0] >= a[0] else 'no'} |")
    return out


def thresholds(doc):
    out = ["| model / method | Octet run | ORT run | common tensors | upper bound: median rel. diff | max | > 10 % | "
           "Octet ÷ ORT − 1 (median) | what the histograms show |", "|---|---|---|---|---|---|---|---|---|"]
    for key, c in doc.get("thresholds", {}).items():
        if not c.get("common_tensors"):
            continue
        model, method = key.split("/")
        why = []
        if method == "minmax":
            why.append(f"{c['exactly_equal_hi']} of {c['common_tensors']} upper bounds equal to float precision")
        if "octet_hist_ort_definition" in c:
            d = c["octet_hist_ort_definition"]
            why.append(f"ORT's definition (|x| 99.999th percentile, symmetric) recomputed on Octet's histogram: "
                       f"median {100 * d['hi_rel_diff_median']:.2f} %, {d['hi_differ_gt_10pct']} > 10 %")
        if "anchor_threshold_is_max_abs" in c:
            why.append(f"ORT threshold = max|x| (no clipping) on {c['anchor_threshold_is_max_abs']} of "
                       f"{c['common_tensors']}; Octet clips below max on {c['octet_clipped_below_max']} "
                       f"(median hi/max {c['octet_hi_over_max_median']:.2f})")
        if c.get("nonnegative_tensors"):
            why.append(f"{c['anchor_negative_lo_on_nonnegative_data']} of {c['nonnegative_tensors']} non-negative "
                       f"tensors get a negative ORT lower bound")
        if "anchor_hi_equals_anchor_minmax_hi" in c and method != "minmax":
            why.append(f"ORT hi = ORT minmax hi on {c['anchor_hi_equals_anchor_minmax_hi']}")
        src = "" if c.get("anchor_source") == "this run" else " †"
        out.append(f"| {key} | {c['octet_run'].split('/')[-1]} | {c['anchor_run'].split('/')[-1]}{src} | "
                   f"{c['common_tensors']} | {100 * c['hi_rel_diff_median']:.2f} % | {100 * c['hi_rel_diff_max']:.1f} % | "
                   f"{c['hi_differ_gt_10pct']} | {fmt(c.get('hi_octet_over_anchor_minus_1_median'), '+.3f')} | "
                   f"{'; '.join(why)} |")
    return out


def scaling(doc):
    s = doc.get("scaling") or {}
    if not s.get("runs"):
        return [f"Not measured: {s.get('status', 'phase skipped')}"], {}
    out = ["| executors × cores | calibrate stage s | spark-submit process s | session open ms (per executor) | "
           "task result bytes (median) | executor peak RSS MB | load 1-min |",
           "|---|---|---|---|---|---|---|"]
    for n, r in sorted(s["runs"].items()):
        rb = [x for x in (r.get("task_result_bytes") or []) if x > 10000] or (r.get("task_result_bytes") or [])
        rss = r.get("executor_peak_rss_bytes") or {}
        p = r["process"]
        out.append(f"| {n} × 1 | {fmt(r.get('calibrate_s'))} | {p['wall_s']:.1f} | "
                   f"{', '.join(str(x) for x in r.get('session_open_ms') or []) or 'n/a'} | "
                   f"{int(statistics.median(rb)) if rb else 'n/a'} | "
                   f"{', '.join(f'{v / MB:.0f}' for v in rss.values()) or 'n/a'} | "
                   f"{'→'.join(f'{x:.1f}' for x in p['loadavg_1min_start_end'])} |")
    r1, r2 = s["runs"].get("1") or {}, s["runs"].get("2") or {}
    if r1.get("calibration_task_ms") and r2.get("calibration_task_ms"):
        a, b = sum(r1["calibration_task_ms"]), sum(r2["calibration_task_ms"])
        out.append("")
        out.append(f"Calibration tasks (driver's task times, {len(r1['calibration_task_ms'])} partitions): "
                   f"1 executor {a / 1000:.1f} s of task time in total ({a / s['rows']:.1f} ms per row on one core); "
                   f"2 executors {b / 1000:.1f} s in total ({b / s['rows']:.1f} ms per row), i.e. each task ran "
                   f"{b / a:.2f}× slower when two executors ran at once: the two executors, the driver and the "
                   f"other sessions' processes shared the 2 cores. Outside the tasks the calibrate stage spent "
                   f"{r1['calibrate_s'] - a / 1000:.1f} s (1 executor) and {r2['calibrate_s'] - max(r2['calibration_task_ms']) / 1000 * len(r2['calibration_task_ms']) / 2:.1f} s "
                   f"(2 executors, approx.) on planning, staging the calibration model, reading the Parquet footer "
                   f"and the merge: fixed costs that do not shrink with executors.")
    if "efficiency" in s:
        out.append("")
        out.append(f"Speed-up T1/T2 = **{s['speedup']:.2f}**, efficiency T1 / (2·T2) = **{s['efficiency']:.2f}** "
                   f"({s['rows']} MiniLM rows, {s['partitions']} partitions, MatMul op set, 1 GiB executors).")
    return out, s


def cost_model(doc):
    """The cost model, with this run's numbers."""
    s = doc.get("scaling") or {}
    runs = s.get("runs") or {}
    r1 = runs.get("1") or {}
    t1 = r1.get("calibrate_s")
    rows = s.get("rows", 1000)
    task_row = r1.get("calibration_task_ms_per_row")
    sess = [x for r in runs.values() for x in (r.get("session_open_ms") or [])]
    sess_s = statistics.median(sess) / 1000 if sess else None
    rb = [x for r in runs.values() for x in (r.get("task_result_bytes") or []) if x > 10000]
    rss = [v for r in runs.values() for v in (r.get("executor_peak_rss_bytes") or {}).values()]
    m_runs = [r for r in doc["runs"] if r["tool"] == "octet" and r["model"] == "minilm" and r["status"] == "ok"
              and r["mode"] == "static"]
    big = max(m_runs, key=lambda r: r["rows"]) if m_runs else None
    ntens = None
    if big:
        det = (big["stages"].get("calibrate") or {}).get("detail", "")
        try:
            ntens = int(det.split(" tensors")[0].split()[-1])
        except (ValueError, IndexError):
            ntens = None
    fp32_mb = big["size"]["fp32_bytes"] / MB if big else 90.4
    per_row = task_row / 1000 if task_row else ((t1 / rows) if t1 else None)
    t_fixed_driver = (t1 - sum(r1["calibration_task_ms"]) / 1000) if t1 and r1.get("calibration_task_ms") else None
    local_rate = (big["rows"] / big["stages"]["calibrate"]["seconds"]) if big else None
    hist_mb = (ntens or 48) * 4096 * 8 / MB
    lines = []
    lines.append(f"Measured inputs (this run): MiniLM calibration on one single-core executor "
                 f"{fmt(t1)} s for {rows} rows, of which {fmt(per_row * rows if per_row else None)} s in calibration tasks "
                 f"(t_row ≈ {fmt(per_row * 1000 if per_row else None, '.0f')} ms per row per core) and "
                 f"{fmt(t_fixed_driver)} s outside them (T_driver: planning, staging, Parquet footer, merge); local mode on 2 cores {fmt(local_rate, '.1f')} rows/s over "
                 f"{big['rows'] if big else '?'} rows; ONNX Runtime session open {fmt(sess_s, '.2f')} s per executor "
                 f"per model (median); task results {fmt(statistics.median(rb) / MB if rb else None, '.2f')} MB "
                 f"per partition (bound: {ntens or 48} tensors × 4096 bins × 8 B = {hist_mb:.1f} MB); "
                 + (f"executor peak RSS {max(rss) / MB:.0f} MB with one MiniLM session (1 GiB heap); " if rss else "")
                 + f"FP32 model {fp32_mb:.1f} MB.")
    lines.append("")
    lines.append("For one model with R calibration rows on E executors of c cores (P partitions ≥ E·c), calibration "
                 "wall time is roughly")
    lines.append("")
    lines.append("    T(model) ≈ T_driver + T_fetch + T_open + (R / (E·c)) · t_row + T_merge")
    lines.append("")
    lines.append("- **Inference** `(R / (E·c)) · t_row` dominates whenever rows per core are many: t_row ≈ "
                 f"{fmt(per_row * 1000 if per_row else None, '.0f')} ms for MiniLM at batch 32 on one core, and "
                 "calibration adds little over plain inference (`bench/results/calibration.txt`: ratio 0.97). This "
                 "is the part that scales linearly with executors.")
    lines.append(f"- **Per executor, per model, fixed**: download of the augmented FP32 model (≈ {fp32_mb:.0f} MB for "
                 f"MiniLM; at an assumed 100–200 MB/s from an object store ≈ {fp32_mb / 200:.1f}–{fp32_mb / 100:.1f} s) "
                 f"plus the session open ({fmt(sess_s, '.2f')} s measured). Paid once per executor JVM per model "
                 "(sessions are cached per JVM), so it is paid E times per model, in parallel.")
    lines.append(f"- **Histogram merge**: each task returns ≤ {hist_mb:.1f} MB for MiniLM ({ntens or 48} tensors); "
                 "`treeReduce(depth 2)` merges them in about √P groups on executors and √P partials on the driver; "
                 "a merge is an integer add per bin (µs per tensor). With P = 100 partitions the driver receives ≈ 10 "
                 f"partials ≈ {10 * hist_mb:.0f} MB per model: negligible next to inference, and independent of R.")
    lines.append("- **Driver**: planning and augmenting the graph, staging the calibration model, then range "
                 "selection over the merged histograms (entropy/MSE searches are O(bins × levels) per tensor) and "
                 "writing the table and INT8 model; seconds per model, serial per model but overlapped across "
                 "models by `run.parallel-models`.")
    lines.append("- **Object-store IO**: datasets are read once (MiniLM rows ≈ 1 KB; OCR rows 1.2 MB), but models "
                 f"are fetched once per executor per model: 100 models × 100 executors × {fp32_mb:.0f} MB ≈ "
                 f"{100 * 100 * fp32_mb / 1e3:.0f} GB of GETs for a zoo of MiniLM-size models, ≈ {100 * fp32_mb / 1e3:.0f} GB "
                 "per executor. That, not the histograms, is the biggest transfer.")
    lines.append("")
    if per_row and sess_s is not None:
        fixed = sess_s + fp32_mb / 150
        lines.append(f"**100 executors × 100 models.** With the figures above (t_row ≈ {per_row * 1000:.0f} ms per "
                     f"core, fixed ≈ {fixed:.1f} s per executor per model assuming 150 MB/s), a model's calibration "
                     f"stops scaling when rows per executor fall to about fixed / t_row ≈ {fixed / per_row:.0f} rows: "
                     f"at 1,000 rows per model 100 executors get 10 rows each and spend most of their time on fixed "
                     f"costs (efficiency ≈ {10 * per_row / (10 * per_row + fixed):.2f}); at 100,000 rows per model "
                     f"efficiency ≈ {1000 * per_row / (1000 * per_row + fixed):.2f}. Total inference work for 100 "
                     f"models × 100,000 rows is ≈ {100 * 100000 * per_row / 3600:.0f} core-hours; on 100 single-core "
                     f"executors ≈ {100 * 100000 * per_row / 100 / 60:.0f} min plus "
                     f"{100 * fixed / 60:.0f} min of fixed costs if every executor touches every model.")
    lines.append("")
    lines.append("**Where it stops scaling:**")
    lines.append("1. *Too few rows per executor*: fixed per-executor costs (fetch + session) are paid by every "
                 "executor that gets a partition of the model; with a small calibration set, spreading one model "
                 "over all 100 executors wastes them. Better: give each model P ≈ R / (fixed / t_row) partitions "
                 "and let `run.parallel-models` fill the cluster with other models.")
    lines.append("2. *Executor memory*: each executor JVM keeps at most `run.executor-sessions` (default 4) ONNX "
                 "Runtime sessions open and closes the least recently used idle ones beyond that, so an executor "
                 "that works through 100 models holds a handful of sessions, not 100. The cap trades memory for "
                 "re-opens: with more models running at once (`run.parallel-models`) than sessions allowed, "
                 "executors re-download and re-open models (the fixed cost above) on every switch. Size it to "
                 "parallel-models × 2 (FP32 and INT8 during validation) where memory allows.")
    lines.append("3. *Driver*: `run.parallel-models` threads submit jobs to one SparkContext; the DAG scheduler "
                 "and the task-result path are single-driver. 100 models × P tasks are fine for Spark's scheduler, "
                 "but the driver holds √P histogram partials per concurrent model and does each model's range "
                 "selection, quantization and validation bookkeeping serially per thread; driver CPU and the "
                 "`parallel-models` setting bound throughput before executors do for small models.")
    lines.append("4. *Validation* runs FP32 and INT8 over the held-out rows (two more inference passes): in a full "
                 "`run` it costs as much as calibration or more and scales the same way.")
    return lines


def write(doc, path, json_path):
    env = doc["environment"]
    L = ["# Octet vs ONNX Runtime's quantizer, side by side",
         "",
         f"Produced by `{doc['command']}` on {doc['created']} (UTC) in {doc.get('total_wall_s', 0) / 60:.1f} min; "
         f"every figure is in [`{json_path.name}`]({json_path.name}). The anchor half is "
         "`bench/anchor/anchor_bench.py` (imported: its data preparation, its quantize child and its evaluation "
         "function); the Octet half is `bin/octet quantize-one`.",
         "",
         f"Machine: {env.get('cpu')} ({', '.join(env.get('cpu_flags_int8') or [])}), {env.get('logical_cpus')} "
         f"cores, {env.get('memory_bytes', 0) / (1 << 30):.1f} GiB, **shared with other sessions**: 1-minute load "
         f"average {env['loadavg_at_start'][0]:.1f} at start, {env.get('loadavg_at_end', [0])[0]:.1f} at end; the load "
         "during each step is in the tables. Wall times are therefore upper bounds; ratios are taken within this one "
         "run; latency is interleaved (median of rounds) so FP32 and both INT8 files see the same load.",
         "",
         "Legend: † figure cited from the committed anchor run "
         f"(`{doc['settings']['anchor_results']}`, same code and rows, another time and load) — either too slow to "
         "redo within one run (ORT's MiniLM histogram methods: 5–6 min each at 500 rows, > 10 min at 5000) or a "
         "failure already recorded there. ‡ latency taken from the file with the identical graph (same nodes, only "
         "scales/zero points differ; checked by hashing the node list) — one file per distinct graph is timed.",
         ""]
    L += ["## Results per model", ""]
    for model in MODELS:
        if not any(r["model"] == model for r in doc["runs"]):
            continue
        L.append(f"### {TITLES[model]}")
        L.append("")
        L += model_table(doc, model)
        lat = (doc.get("evaluation", {}).get(model) or {}).get("latency") or {}
        if lat:
            L.append("")
            L.append(f"Latency: batch 1, {lat['intra_op_threads']} intra-op threads, {lat['rows_per_pass']} rows × "
                     f"{lat['rounds']} rounds, FP32 {lat['ms_per_row_median'].get('fp32', 0):.2f} ms/row (median); "
                     f"load {'→'.join(f'{x:.1f}' for x in lat['loadavg_1min_start_end'])}. "
                     "'Octet INT8 ÷ ORT INT8' < 1 means Octet's INT8 file runs faster than the named ORT INT8 file.")
        L.append("")
    L += ["Notes on the rows:",
          "- Octet runs: `OCTET_DRIVER_MEMORY=2g` (the JVM heap; default 6g) so that heap sizing does not dominate "
          "RSS; the JVM reserves up to that heap whatever the rows, so Octet's RSS is mostly a constant.",
          "- MiniLM: 'MatMul only' is Octet's recommended transformer setting (`quantization.op-types=[MatMul]`); "
          "'Octet default ops' is its default op set (Conv, Gemm, MatMul, Add, Mul, pooling, Concat, Resize). ORT's "
          "static MinMax uses ORT's default op set on an opset-13 copy; ORT's Percentile/Entropy only run at all with "
          "`CalibStridedMinMax=1` plus `op_types_to_quantize=[MatMul, Add]` (they run out of memory otherwise); "
          "Octet INT8 files are compared for latency with ORT's MinMax file of the nearest op set.",
          "- digits at 10× = the 179 calibration rows repeated 10 times (1790 rows): time and memory only.",
          "- third: ORT rows are its documented path (opset 13 + `quant_pre_process`), which the committed anchor "
          "run found fastest and most faithful; its plain runs (Constant weights quantized as activations) are cited.",
          "- mse is Octet-only; its latency is compared with ORT's MinMax file. Dynamic: ORT `quantize_dynamic` "
          "per-channel (QOperator); Octet `--mode dynamic`.",
          ""]
    L += ["## Against the goals", "",
          "Goals: *calibration ≥ 2× faster than the anchor with memory flat in rows; INT8 fidelity ≥ the anchor's "
          "best method on each model.*", ""]
    L += goals(doc)
    L.append("")
    L += ["## Thresholds: Octet's ranges vs ORT's on the same tensors", "",
          "Octet's `range` from `OUT.onnx.calibration.json` vs ORT's calibrator output (`TensorsData`, before ORT "
          "widens ranges to include 0), matched by tensor name, same model, rows and method. Relative difference of "
          "the upper bound |octet − ort| / |ort|.", ""]
    L += thresholds(doc)
    L += ["",
          "Why they differ (each cause shown by a column above or recomputed from Octet's stored histograms):",
          "- **minmax**: both take the exact min and max over the same rows, so they agree (differences would "
          "mean different rows); ORT's [min, max] are per tensor, Octet's too.",
          "- **percentile**: ORT's default is *symmetric*: the 99.999th percentile of |x| over 2048 bins spanning "
          "[0, max|x|] of the first collected batch (the grid only grows by appending bins of the same width), "
          "giving [−T, T]. Octet's default is *asymmetric*, two-sided ([q(0.0005 %), q(99.9995 %)]) on its "
          "4096-bin power-of-two grid. Recomputing ORT's definition on Octet's histogram (column above) shows how "
          "much is definition and how much is binning. ORT then clamps [−T, T] to the data's [min, max], so "
          "non-negative tensors keep a lower bound of 0 (the 'negative lower bound' count in the column).",
          "- **entropy**: with ORT's defaults (128 bins, 128 quantized bins) the KL search has exactly one "
          "candidate (i from 64 to 64), so the threshold is the histogram edge = max|x|: no clipping, the same as "
          "MinMax on |x|. With `CalibStridedMinMax` (MiniLM) the grid grows past 128 bins as later chunks widen "
          "the range, creating more candidates that depend on chunk order. Octet's KL search runs over its 4096-bin "
          "|x| histogram (≥ 2048 bins over the data), leaves the zero bin out, and does clip.",
          "- **bins and grid**: ORT's bin edges depend on the first batch's range; Octet's on a power-of-two grid "
          "fixed by the data's min and max, identical for any partitioning. Differences below one bin width "
          "(max/2048 to max/4096) are binning.",
          ""]
    sc, _ = scaling(doc)
    L += ["## Scaling: one vs two executors (standalone cluster)", "",
          "A standalone Spark cluster from the `pyspark` distribution (`tools/it/setup-spark.sh`): master + 1 worker "
          "(then + a second) with 1 core and 1536 MB each on 127.0.0.1, started with `bin/spark-class` as the "
          "integration-test harness does; `spark-submit --properties-file … --class io.octet.jobs.Main "
          "jobs/target/octet-jobs-0.1.0-SNAPSHOT-shaded.jar calibrate --registry R --model minilm --run-id ID`, "
          "registry and warehouse on local disk (file://). Time = the `calibrate` stage Octet prints. Both "
          "executors and the driver share the machine's 2 cores.", ""]
    L += sc
    L += ["", "## Cost model: 100 executors × 100 models", ""]
    L += cost_model(doc)
    L += ["", "## Commands and versions", "",
          "```", "bench/compare            # = python bench/compare.py, in a venv from bench/anchor/requirements.txt",
          "```", "",
          "Octet command per run (one JVM each; full lines in the JSON under `runs[].command`), e.g.:", "", "```"]
    ex = [r for r in doc["runs"] if r["tool"] == "octet"]
    seen = set()
    for r in ex:
        k = (r["model"], r["opset"])
        if k in seen:
            continue
        seen.add(k)
        line = r["command"]
        for pre in ((doc.get("octet_build") or {}).get("dir"), str(Path(__file__).resolve().parent.parent)):
            if pre:
                line = line.replace(pre + "/", "")
        L.append("OCTET_DRIVER_MEMORY=2g " + line)
    b = doc.get("octet_build") or {}
    L += ["```", "",
          f"Octet: `bin/octet` of a frozen build of commit {b.get('commit', '?')[:10]} ({b.get('how', '')}; other "
          "sessions rebuild the shared checkout's jars while a run is in progress).",
          "",
          f"Versions: Octet jar `{(env.get('octet_jar') or {}).get('path')}` sha256 "
          f"{(env.get('octet_jar') or {}).get('sha256', '')[:12]}… (git {env.get('git_head', '')[:10]}; unchanged at "
          f"the end: {env.get('octet_jar_sha256_at_end') == (env.get('octet_jar') or {}).get('sha256')}), Spark "
          f"{env.get('spark.version')}, {env.get('java')}; Python {env.get('python')}, "
          + ", ".join(f"{k} {v}" for k, v in (env.get("versions") or {}).items()) + ".",
          "",
          "Time per phase (s): " + ", ".join(f"{k} {v:.0f}" for k, v in doc.get("timing", {}).items()) + ".",
          ""]
    path.write_text("\n".join(L) + "\n")
