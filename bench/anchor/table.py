#!/usr/bin/env python3
"""Prints the anchor results JSON as one Markdown table (standard library only).

    python bench/anchor/table.py bench/anchor/results/anchor-<date>.json
"""

import json
import sys

GiB = 1 << 30


def fidelity(model, ev):
    f = ev.get("fidelity") or {}
    if not f:
        return ""
    if model == "minilm":
        return f"cos mean {f['cosine_mean']:.4f} / min {f['cosine_min']:.4f}"
    if model == "digits":
        return (f"top-1 {100 * f['top1_fp32']:.2f} → {100 * f['top1_int8']:.2f} %, "
                f"agree {100 * f['agreement']:.2f} %")
    return (f"cos {f['cosine_all_pixels']:.4f}, SQNR {f['sqnr_db']:.1f} dB, "
            f"mask IoU {f['text_mask_iou']:.3f}")


def main():
    doc = json.load(open(sys.argv[1]))
    print("| run | status | calib+quant s (CPU s) | peak RSS GiB | fidelity vs FP32 | INT8 speedup | size FP32→INT8 MB |")
    print("|---|---|---|---|---|---|---|")
    for r in doc["runs"]:
        q = r.get("quantize") or {}
        ev = r.get("eval") or {}
        la = ev.get("latency") or {}
        sz = r.get("size") or {}
        wall = q.get("wall_s") or q.get("wall_s_to_failure") or q.get("child_wall_s")
        t = f"{wall:.1f} ({q['child_cpu_s']:.0f})" if wall is not None and q.get("child_cpu_s") is not None else ""
        rss = f"{q['peak_rss_bytes'] / GiB:.2f}" if q.get("peak_rss_bytes") else ""
        status = r["status"] if r["status"] == "ok" else r["status"][:90]
        if r["status"] == "ok" and ev.get("status") not in (None, "ok"):
            status = "eval " + ev["status"][:90]
        sp = f"{la['speedup']:.2f}× ({la['fp32_ms_per_row']:.2f}→{la['int8_ms_per_row']:.2f} ms)" if la else ""
        size = f"{sz['fp32_bytes'] / 1e6:.1f}→{sz['int8_bytes'] / 1e6:.1f}" if sz else ""
        print(f"| {r['id']} | {status} | {t} | {rss} | {fidelity(r['model'], ev)} | {sp} | {size} |")


if __name__ == "__main__":
    main()
