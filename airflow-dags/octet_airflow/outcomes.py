"""What happened to each model in one Octet run, read from the warehouse.

The jobs publish ``<warehouse>/<model>/<version>/<run-id>/manifest.json`` last, with ``status``
``passed`` or ``gate-failed``; a model without a manifest for the run failed in a stage. The
summary task and the validate/publish tasks (to tell a missed gate from a crash) read these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from octet_airflow import storage

PASSED = "passed"
GATE_FAILED = "gate-failed"
FAILED = "failed"
SKIPPED = "skipped"


def _store(spec: Mapping[str, Any]) -> storage.Store:
    return storage.for_location(spec["warehouse"], spec.get("s3a") or {})


def staged_validation(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """The validate stage's verdict for this run, while it is staged (before publish)."""
    loc = storage.join(spec["warehouse"], "_staging", spec["run_id"], spec["model"], "validation.json")
    store = _store(spec)
    return store.read_json(loc) if store.exists(loc) else None


def published_manifest(spec: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """``(location, manifest)`` of this run's manifest for the model, whatever its version."""
    pattern = storage.join(spec["warehouse"], spec["model"], "*", spec["run_id"], "manifest.json")
    store = _store(spec)
    found = store.glob(pattern)
    if not found:
        return None
    return found[0], store.read_json(found[0])


@dataclasses.dataclass(frozen=True)
class ModelResult:
    model: str
    status: str
    detail: str
    report: str | None = None
    manifest: str | None = None
    latest: bool = False

    @property
    def ok(self) -> bool:
        return self.status in (PASSED, SKIPPED)


def _link(spec: Mapping[str, Any], location: str, store: storage.Store) -> str:
    base = spec.get("report_base_url")
    if base:
        rel = location[len(spec["warehouse"].rstrip("/")) :].lstrip("/")
        return f"{base.rstrip('/')}/{rel}"
    return store.link(location)


def result(spec: Mapping[str, Any]) -> ModelResult:
    model, run_id = spec["model"], spec["run_id"]
    store = _store(spec)
    try:
        found = published_manifest(spec)
    except storage.StorageError as e:
        return ModelResult(model, FAILED, f"cannot read the warehouse: {e}")
    if found is None:
        # calibrate records a model whose inputs are unchanged since its last promoted run.
        skipped = storage.join(spec["warehouse"], "_runs", run_id, "skipped", f"{model}.json")
        try:
            if store.exists(skipped):
                why = store.read_json(skipped).get("reason", "inputs unchanged")
                return ModelResult(model, SKIPPED, why)
        except storage.StorageError as e:
            return ModelResult(model, FAILED, f"cannot read the warehouse: {e}")
        return ModelResult(
            model,
            FAILED,
            f"no manifest for run {run_id}: a stage failed before publishing (see the task logs"
            f" of the model's calibrate/quantize/validate/publish tasks, labelled {model})",
        )
    location, manifest = found
    prefix = location.rsplit("/", 1)[0]
    report = _link(spec, storage.join(prefix, "report.html"), store)
    status = manifest.get("status")
    latest_loc = storage.join(spec["warehouse"], model, "latest")
    try:
        latest = store.exists(latest_loc) and store.read_json(latest_loc).get("run-id") == run_id
    except storage.StorageError:
        latest = False
    if status == PASSED:
        detail = "passed its gate" + ("" if latest else f"; latest no longer points to run {run_id}")
        return ModelResult(model, PASSED, detail, report, store.link(location), latest)
    if status == GATE_FAILED:
        failures = (manifest.get("gate") or {}).get("failures") or []
        detail = "missed its gate: " + ("; ".join(failures) or "see the report")
        return ModelResult(model, GATE_FAILED, detail, report, store.link(location), latest)
    return ModelResult(model, FAILED, f"manifest has unexpected status {status!r}", report)


def failure_message(run_id: str, results: list[ModelResult]) -> str | None:
    """None when every model passed; otherwise one line per failed model with its report."""
    bad = [r for r in results if not r.ok]
    if not bad:
        return None
    lines = [f"Octet run {run_id}: {len(bad)} of {len(results)} model(s) failed or missed the gate:"]
    for r in bad:
        lines.append(
            f"  - {r.model}: {r.status}: {r.detail}" + (f" (report: {r.report})" if r.report else "")
        )
    return "\n".join(lines)
