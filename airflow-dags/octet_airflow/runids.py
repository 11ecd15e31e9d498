"""Octet run ids derived from the Airflow run, so every try of every stage shares one staging."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

#: The run-id format the jobs accept (io.octet.publish.RunIds).
RUN_ID_RE = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}")


def octet_run_id(dag_id: str, airflow_run_id: str, when: dt.datetime) -> str:
    """Returns ``yyyyMMddTHHmmssZ-xxxxxx`` for one Airflow DAG run.

    ``when`` is the run's logical date (or, for runs without one, its ``run_after``) and the
    suffix is a hash of the DAG id and Airflow run id. The same DAG run always maps to the same
    Octet run id, so a retried or cleared stage finds what the earlier stages staged under
    ``<warehouse>/_staging/<run-id>/``, while two DAG runs never share one.
    """
    if when.tzinfo is None:
        raise ValueError(f"Run time must be timezone-aware, got {when!r}")
    stamp = when.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    suffix = hashlib.sha256(f"{dag_id}\0{airflow_run_id}".encode()).hexdigest()[:6]
    run_id = f"{stamp}-{suffix}"
    assert RUN_ID_RE.fullmatch(run_id), run_id
    return run_id
