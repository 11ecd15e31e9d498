#!/usr/bin/env python3
"""Prepare Octet's third real model: PP-OCRv4 text detection (a DB conv net) and its data.

Installs nothing. Run it with a Python environment that already has the packages from
models/third/requirements.txt (see README.md):

    python models/third/prepare.py [--out models/third]

It does three things:
  1. copies ch_PP-OCRv4_det_infer.onnx out of the installed `rapidocr-onnxruntime` wheel
     (found with importlib, without importing the package, so its OpenCV dependency is not
     needed) to <out>/ppocr_det_v4.onnx and checks its SHA-256;
  2. cuts deterministic, seeded crops out of the photographs and scans bundled with
     scikit-image (`skimage.data`, no network), resizes them to 320x320 and normalizes them the
     way rapidocr's own detector preprocessing does (BGR channel order, x/255, then
     (x - 0.5) / 0.5);
  3. writes <out>/data/calib.parquet (200 rows) and <out>/data/val.parquet (100 rows), columns
     `id` (string) and `image` (list<float>, 3*320*320 values, row-major C,H,W).

Half of the crops come from the two text-bearing images (`page`, `text`), half from 17 photos
and micrographs without text (only those are randomly mirrored). Calibration and validation crops never share a pixel: each source image is cut in two along
its longer side, calibration crops come from the first 70 %, validation crops from the rest.
"""

import argparse
import hashlib
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

PACKAGE = "rapidocr_onnxruntime"
PACKAGE_VERSION = "1.4.4"
MODEL_IN_WHEEL = "models/ch_PP-OCRv4_det_infer.onnx"
MODEL_SHA256 = "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"
MODEL_NAME = "ppocr_det_v4.onnx"

SIZE = 320  # a multiple of 32, as the DB network requires
MEAN = 0.5  # rapidocr config.yaml, Det.mean / Det.std (same for all three channels)
STD = 0.5
SEED = 20260601
N_CALIB = 200
N_VAL = 100
CALIB_FRACTION = 0.7

# Real images bundled inside the scikit-image wheel. Synthetic ones (checkerboard, colorwheel,
# phantom, binary horse) and near-duplicates (cat = chelsea) are left out. The detector only
# fires on text, so every other crop comes from one of the two text images (a scanned book
# page and a photo of a sign); the rest are photographs and micrographs without text.
TEXT_SOURCES = ["page", "text"]
OTHER_SOURCES = [
    "astronaut", "brick", "camera", "cell", "chelsea", "clock", "coffee", "coins", "grass",
    "gravel", "hubble_deep_field", "immunohistochemistry", "logo", "moon", "retina", "rocket",
    "stereo_motorcycle",
]
SOURCES = TEXT_SOURCES + OTHER_SOURCES


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def extract_model(out_dir):
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{PACKAGE} is not installed: pip install --no-deps {PACKAGE.replace('_', '-')}=={PACKAGE_VERSION}")
    src = Path(list(spec.submodule_search_locations)[0]) / MODEL_IN_WHEEL
    if not src.is_file():
        sys.exit(f"{src} not found: is {PACKAGE} {PACKAGE_VERSION} installed?")
    digest = sha256(src)
    if digest != MODEL_SHA256:
        sys.exit(f"{src}: sha256 {digest}, expected {MODEL_SHA256} ({PACKAGE} {PACKAGE_VERSION})")
    dst = out_dir / MODEL_NAME
    shutil.copyfile(src, dst)
    return dst, digest


def load_rgb(name):
    import skimage.data as data  # bundled files only for the names in SOURCES

    img = data.stereo_motorcycle()[0] if name == "stereo_motorcycle" else getattr(data, name)()
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise ValueError(f"{name}: unexpected dtype {img.dtype}")
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    elif img.shape[2] == 4:
        # RGBA (the logo): composite on white, then drop alpha.
        rgb = img[..., :3].astype(np.float32)
        a = img[..., 3:4].astype(np.float32) / 255.0
        img = np.clip(np.rint(rgb * a + 255.0 * (1.0 - a)), 0, 255).astype(np.uint8)
    return img


def regions(img):
    """Splits an image along its longer side into a calibration part and a validation part."""
    h, w = img.shape[:2]
    if w >= h:
        cut = int(round(w * CALIB_FRACTION))
        return img[:, :cut], img[:, cut:]
    cut = int(round(h * CALIB_FRACTION))
    return img[:cut], img[cut:]


def random_crop(region, rng, allow_flip):
    """A square-ish crop covering 30..100 % of the region's shorter side, then resized."""
    h, w = region.shape[:2]
    short = min(h, w)
    side = int(rng.integers(max(32, int(0.3 * short)), short + 1))
    aspect = float(np.exp(rng.uniform(np.log(0.75), np.log(4 / 3))))
    ch = min(h, max(16, int(round(side / np.sqrt(aspect)))))
    cw = min(w, max(16, int(round(side * np.sqrt(aspect)))))
    y = int(rng.integers(0, h - ch + 1))
    x = int(rng.integers(0, w - cw + 1))
    crop = region[y : y + ch, x : x + cw]
    flip = rng.random() < 0.5  # drawn for every crop, so the stream does not depend on the source
    if flip and allow_flip:
        crop = crop[:, ::-1]
    resized = Image.fromarray(np.ascontiguousarray(crop)).resize((SIZE, SIZE), Image.BILINEAR)
    return np.asarray(resized), (y, x, ch, cw)


def to_model_input(rgb_u8):
    bgr = rgb_u8[..., ::-1].astype(np.float32)  # rapidocr feeds OpenCV (BGR) order
    x = (bgr * np.float32(1 / 255.0) - np.float32(MEAN)) / np.float32(STD)
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)  # C,H,W


def build(split, count, part_index, images, rng):
    ids, rows, meta = [], [], []
    for i in range(count):
        if i % 2 == 0:
            name = TEXT_SOURCES[(i // 2) % len(TEXT_SOURCES)]
        else:
            name = OTHER_SOURCES[(i // 2) % len(OTHER_SOURCES)]
        region = regions(images[name])[part_index]
        # mirrored text is not text: only crops without text are flipped
        rgb, box = random_crop(region, rng, allow_flip=name not in TEXT_SOURCES)
        ids.append(f"{split}-{i:03d}-{name}")
        rows.append(to_model_input(rgb).ravel())
        meta.append({"id": ids[-1], "source": name, "crop_yxhw": box})
    return ids, rows, meta


def write_parquet(path, ids, rows):
    flat = np.concatenate(rows).astype(np.float32)
    offsets = np.arange(0, len(rows) + 1, dtype=np.int32) * rows[0].size
    image = pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat, type=pa.float32()))
    table = pa.table({"id": pa.array(ids, type=pa.string()), "image": image})
    pq.write_table(table, path, compression="zstd", row_group_size=50)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent))
    args = ap.parse_args()
    out = Path(args.out)
    (out / "data").mkdir(parents=True, exist_ok=True)

    model, digest = extract_model(out)
    print(f"model  {model} sha256 {digest}")

    images = {n: load_rgb(n) for n in SOURCES}
    rng = np.random.default_rng(SEED)
    c_ids, c_rows, c_meta = build("calib", N_CALIB, 0, images, rng)
    v_ids, v_rows, v_meta = build("val", N_VAL, 1, images, rng)
    for name, ids, rows in (("calib", c_ids, c_rows), ("val", v_ids, v_rows)):
        path = out / "data" / f"{name}.parquet"
        write_parquet(path, ids, rows)
        digest = hashlib.sha256(np.concatenate(rows).tobytes()).hexdigest()
        print(f"{name:6s} {path} rows {len(ids)} shape 3x{SIZE}x{SIZE} values-sha256 {digest[:16]}")
    with open(out / "data" / "crops.json", "w") as f:
        json.dump({"seed": SEED, "size": SIZE, "calib": c_meta, "val": v_meta}, f, indent=1)


if __name__ == "__main__":
    main()
