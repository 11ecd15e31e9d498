#!/usr/bin/env bash
# Generates the data of Octet's third real model (PP-OCRv4 text detection, models/third/) for the
# integration tests: 200 calibration and 100 validation rows as Parquet, made by
# models/third/prepare.py from scikit-image's bundled images, and the ONNX file out of the
# rapidocr-onnxruntime wheel (checked against its SHA-256).
#
# The data is not in git (about 30 MB). The tests look in models/third/data/ first (where
# prepare.py writes by default), then in tools/it/.cache/third/data/ (where this script writes,
# so it never touches models/third/).
# Idempotent: does nothing when either place already has the data.
#
# Usage: tools/it/setup-third.sh [--quiet]
#   OCTET_IT_THIRD_VENV  where the venv goes (default: tools/it/.venv-third, ignored by git)
#   PYTHON               interpreter, CPython 3.11 or 3.12 (rapidocr-onnxruntime needs < 3.13)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${OCTET_IT_THIRD_VENV:-$here/.venv-third}"
out="$here/.cache/third"
python="${PYTHON:-python3}"
quiet=0
[[ "${1:-}" == "--quiet" ]] && quiet=1
log() { [[ $quiet == 1 ]] || echo "setup-third: $*" >&2; }

for dir in "$root/models/third" "$out"; do
  if [[ -f "$dir/data/calib.parquet" && -f "$dir/data/val.parquet" ]]; then
    log "data already in $dir/data"
    exit 0
  fi
done
if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup-third: '$python' not found; install CPython 3.11 or 3.12 (with venv) first" >&2
  exit 1
fi
if [[ ! -x "$venv/bin/python" ]]; then
  log "creating venv $venv"
  "$python" -m venv "$venv"
fi
log "installing models/third/requirements.txt and rapidocr-onnxruntime (no deps) into $venv"
"$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$root/models/third/requirements.txt"
# Only the ONNX file is taken out of this wheel; its OpenCV dependency is not needed.
"$venv/bin/python" -m pip install --disable-pip-version-check -q --no-deps "rapidocr-onnxruntime==1.4.4"
mkdir -p "$out"
"$venv/bin/python" "$root/models/third/prepare.py" --out "$out" >&2
log "data ready in $out/data"
