#!/usr/bin/env python3
"""Prints the zoo benchmark's Markdown table (standard library only): Octet's auto-mode artifact
beside every anchor, per model, from target/zoo/anchors.json (one scoring harness for all of
them) and the two Octet runs' summaries.

    python3 bench/zoo/table.py ZOO AUTO_SUMMARY.json FIXED_SUMMARY.json "CPU FLAGS"
"""

import json
import sys
from pathlib import Path


def f(v, fmt=".4f"):
    return "–" if v is None else format(v, fmt)


def main():
    zoo, auto_path, fixed_path, flags = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    anchors = json.loads((zoo / "anchors.json").read_text())
    auto = {m["name"]: m for m in json.loads(auto_path.read_text())["models"]}
    fixed = {m["name"]: m for m in json.loads(fixed_path.read_text())["models"]}
    env = anchors.get("environment", {})
    out = [f"CPU flags: {flags.strip()}; {env.get('cpu_model', '')}; onnxruntime "
           f"{env.get('packages', {}).get('onnxruntime', '?')} (anchors' scoring), 2 intra-op threads, batch 1.",
           "",
           "Octet = the artifact published by a run whose registry names no recipe (auto mode); every row "
           "scored by bench/zoo/anchors.py on the same held-out rows. Δ columns: Octet minus the best "
           "anchor on that column (closeness: higher is better; speed: ratio to the fastest anchor; "
           "size: ratio to the smallest anchor).",
           "",
           "| model | variant | mean cos | min cos | accuracy FP32 → INT8 | speed vs FP32 | size vs FP32 | gate (auto run) |",
           "|---|---|---|---|---|---|---|---|"]
    by_model = {}
    for r in anchors["results"]:
        by_model.setdefault(r["model"], []).append(r)
    verdicts = []
    for model in sorted(by_model):
        rows = by_model[model]
        a = auto.get(model, {})
        recipe = (a.get("auto") or {}).get("chosen")
        label = ""
        for c in (a.get("auto") or {}).get("candidates", []):
            if c.get("chosen"):
                label = c.get("label", "")
        for r in rows:
            name = r["variant"] if r["variant"] != "octet" else f"**Octet** ({label or 'auto'})"
            if r.get("error"):
                out.append(f"| {model} | {name} | error: {r['error'][:80]} | | | | | |")
                continue
            acc = "–" if r.get("acc_fp32") is None else f"{r['acc_fp32']:.4f} → {f(r.get('acc_int8'))}"
            gate = ""
            if r["variant"] == "octet":
                gate = a.get("status", "?")
            out.append(f"| {model} | {name} | {f(r['mean_cos'])} | {f(r['min_cos'])} | {acc} | "
                       f"{f(r['speedup'], '.2f')}× | {f(r['size_ratio'], '.3f')} | {gate} |")
        octet = next((r for r in rows if r["variant"] == "octet" and not r.get("error")), None)
        anchors_ok = [r for r in rows if r["variant"] != "octet" and not r.get("error") and r.get("mean_cos") is not None]
        if octet and anchors_ok:
            labelled = octet.get("acc_fp32") is not None
            d = {"model": model}
            if labelled:
                d["acc"] = octet["acc_int8"] - max(r["acc_int8"] for r in anchors_ok)
            d["mean"] = octet["mean_cos"] - max(r["mean_cos"] for r in anchors_ok)
            d["min"] = octet["min_cos"] - max(r["min_cos"] for r in anchors_ok)
            d["speed"] = octet["speedup"] / max(r["speedup"] for r in anchors_ok)
            d["size"] = octet["size_ratio"] / min(r["size_ratio"] for r in anchors_ok)
            verdicts.append(d)
    out += ["", "| model | Δ mean cos | Δ min cos | Δ accuracy (pts) | speed ÷ fastest anchor | size ÷ smallest anchor |",
            "|---|---|---|---|---|---|"]
    for d in verdicts:
        acc = "–" if "acc" not in d else f"{d['acc'] * 100:+.2f}"
        out.append(f"| {d['model']} | {d['mean']:+.4f} | {d['min']:+.4f} | {acc} | {d['speed']:.2f} | {d['size']:.2f} |")
    am = (zoo / "octet-auto.ms").read_text().strip() if (zoo / "octet-auto.ms").exists() else "?"
    fm = (zoo / "octet-fixed.ms").read_text().strip() if (zoo / "octet-fixed.ms").exists() else "?"
    out += ["", f"Auto mode's cost: the whole run with auto took {int(am) / 1000:.0f} s; the same run with "
            f"each model pinned to the recipe auto chose took {int(fm) / 1000:.0f} s "
            f"({int(am) / max(1, int(fm)):.2f}×). Per model (auto stage incl. its one calibration pass, vs "
            "the pinned run's calibrate stage):", "",
            "| model | auto: candidates | auto stage s | pinned: calibrate s | auto run total s | pinned run total s |",
            "|---|---|---|---|---|---|"]
    for model in sorted(auto):
        a, p = auto[model], fixed.get(model, {})
        st, ps = a.get("stages", {}), p.get("stages", {})
        n = len((a.get("auto") or {}).get("candidates", []))
        def sec(s, k):
            v = s.get(k)
            return v.get("seconds") if isinstance(v, dict) else v
        tot_a = sum((sec(st, k) or 0) for k in st)
        tot_p = sum((sec(ps, k) or 0) for k in ps)
        out.append(f"| {model} | {n} | {f(sec(st, 'auto'), '.1f')} | {f(sec(ps, 'calibrate'), '.1f')} | "
                   f"{tot_a:.1f} | {tot_p:.1f} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
