"""The tiny registry the real-run tests use: models/digits-cnn and its data as Parquet."""

from __future__ import annotations

import csv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "models" / "digits-cnn"


def write_parquet(rows: list[list[str]], out: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": pa.array([r[0] for r in rows], pa.string()),
            "label": pa.array([int(r[2]) for r in rows], pa.int32()),
            "image": pa.array([[float(v) for v in r[3:]] for r in rows], pa.list_(pa.float32())),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out / "part-0.parquet")


def write_registry(root: Path, max_calibration_rows: int = 128) -> Path:
    """Writes calibration/validation Parquet and a registry under root; returns the registry."""
    with open(DIGITS / "digits.csv", newline="") as f:
        rows = list(csv.reader(f))[1:]
    calib = [r for r in rows if r[1] == "calib"][:max_calibration_rows]
    test = [r for r in rows if r[1] == "test"]
    write_parquet(calib, root / "data" / "calibration")
    write_parquet(test, root / "data" / "validation")
    registry = root / "registry.conf"
    registry.write_text(
        f"""# Written by airflow-dags/tests/digits.py
warehouse = "{(root / "warehouse").as_uri()}"
models {{
  digits-cnn {{
    uri = "{(DIGITS / "digits_cnn.onnx").as_uri()}"
    calibration {{ dataset = "{(root / "data" / "calibration").as_uri()}/" }}
    validation {{
      dataset = "{(root / "data" / "validation").as_uri()}/"
      latency-rows = 0
      gate {{ max-accuracy-drop-points = 0.5 }}
    }}
    label-column = label
    id-column = id
    inputs = [ {{ name = image, column = image, dtype = float32, shape = [1, 8, 8] }} ]
  }}
}}
"""
    )
    return registry
