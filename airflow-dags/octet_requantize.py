"""Octet: re-quantize the model zoo with Spark, nightly or one model on demand.

Two DAGs with the same shape, built by :func:`build_dag`:

* ``octet_nightly_requantize``: every model of the registry (or the ``models`` param), on the
  schedule in the Variable ``octet_schedule`` (default ``0 2 * * *``).
* ``octet_requantize_model``: manual only; the ``model`` param names one model.

Shape (task ids)::

    plan ──► model.calibrate ─► model.quantize ─► model.validate ─► model.publish ──► summary
             └──────────── mapped task group, one per model, labelled by model ───┘

``plan`` reads the registry at run time and returns one spec per model; each stage is a
``spark-submit`` of the shaded jar (``io.octet.jobs.Main <stage> --run-id <id> ...``), and all
stages of one DAG run share one Octet run id derived from the Airflow run, so retries reuse the
staging area. ``summary`` runs whatever happened upstream and fails the DAG run when a model
failed or missed its gate, with links to the reports. Settings: see ``octet_airflow.planning``
and README.md, "Airflow: nightly re-quantization".

Parse time: this file reads one Variable (the schedule) and imports the Spark provider;
registry and warehouse reads happen in tasks.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

# Airflow puts the bundle root on sys.path; this file's helpers live next to it, so the DAG
# also loads when the files sit in a subfolder of the bundle (dags/octet/...).
if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.append(os.path.dirname(os.path.abspath(__file__)))

from airflow.sdk import (  # noqa: E402
    DAG,
    Param,
    TriggerRule,
    Variable,
    chain,
    get_current_context,
    task,
    task_group,
)

from octet_airflow.operators import OctetStageOperator  # noqa: E402
from octet_airflow.planning import DEFAULT_SCHEDULE, STAGES  # noqa: E402

NIGHTLY_DAG_ID = "octet_nightly_requantize"
ONE_MODEL_DAG_ID = "octet_requantize_model"

# Spark stages fail for transient reasons (executors lost, object store throttling): retry with
# exponential backoff, 2 min then 4 min. Config errors (exit code 2) are never retried.
DEFAULT_ARGS = {
    "owner": "octet",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": dt.timedelta(minutes=30),
}
MODEL_LABEL = "{{ task.spec.model }}"


def _string_list(description: str) -> Param:
    return Param([], type="array", items={"type": "string"}, description=description)


def _run_params() -> dict[str, Param]:
    return {
        "registry": Param(
            "", type="string", description="Registry file or s3a:// URI; empty: Variable octet_registry"
        ),
        "sets": _string_list("key=value overrides for every stage (--set), after Variable octet_sets"),
        "jar": Param("", type="string", description="Shaded jar; empty: Variable octet_jar"),
        "spark_conn_id": Param(
            "",
            type="string",
            description="Spark connection; empty: Variable octet_spark_conn_id or spark_default",
        ),
        "spark_properties_file": Param(
            "",
            type="string",
            description="spark-submit --properties-file; empty: Variable octet_spark_properties_file",
        ),
        "spark_conf": Param(
            {}, type="object", description="Extra Spark properties, over Variable octet_spark_conf"
        ),
        "force": Param(
            False,
            type="boolean",
            description="Re-quantize models whose inputs are unchanged since their last promoted run",
        ),
    }


def _variable(key: str, default: object = None) -> object:
    return Variable.get(key, default=default)


def build_dag(dag_id: str, schedule: str | None, params: dict[str, Param], doc: str) -> DAG:
    with DAG(
        dag_id=dag_id,
        schedule=schedule,
        start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
        catchup=False,
        max_active_runs=1,
        params=params,
        default_args=DEFAULT_ARGS,
        tags=["octet", "quantization", "spark"],
        doc_md=doc,
    ) as dag:

        @task(task_id="plan", retries=1)
        def plan() -> list[dict]:
            """Reads the registry and returns one spec per model (see octet_airflow.planning)."""
            from octet_airflow import planning  # noqa: PLC0415 - task-time import

            ctx = get_current_context()
            run = ctx["dag_run"]
            when = run.logical_date or run.run_after
            specs = planning.plan(ctx["params"], run.dag_id, run.run_id, when, _variable)
            print(f"Octet run {specs[0]['run_id']}: {', '.join(s['model'] for s in specs)}")
            return specs

        @task_group(group_id="model")
        def model(spec: dict) -> None:
            """calibrate -> quantize -> validate -> publish for one model."""
            chain(*(OctetStageOperator(stage=s, spec=spec, map_index_template=MODEL_LABEL) for s in STAGES))

        @task(task_id="summary", trigger_rule=TriggerRule.ALL_DONE, retries=0)
        def summary(specs: list[dict]) -> list[dict]:
            """Fails the DAG run when any model failed or missed its gate, naming each one."""
            import dataclasses  # noqa: PLC0415

            from airflow.sdk.exceptions import AirflowFailException  # noqa: PLC0415

            from octet_airflow import outcomes  # noqa: PLC0415 - task-time import

            results = [outcomes.result(s) for s in specs]
            for r in results:
                print(f"{r.model}: {r.status}: {r.detail}" + (f" (report: {r.report})" if r.report else ""))
            rows = [dataclasses.asdict(r) for r in results]
            get_current_context()["ti"].xcom_push(key="results", value=rows)
            message = outcomes.failure_message(specs[0]["run_id"] if specs else "?", results)
            if message:
                raise AirflowFailException(message)
            return rows

        specs = plan()
        model.expand(spec=specs) >> summary(specs)
    return dag


nightly = build_dag(
    NIGHTLY_DAG_ID,
    # The only parse-time I/O: one Variable.
    _variable("octet_schedule", DEFAULT_SCHEDULE) or DEFAULT_SCHEDULE,
    {
        **_run_params(),
        "models": _string_list("Only these models (default: every model of the registry)"),
    },
    "Re-quantizes every model of the Octet registry (or the `models` param) with Spark: "
    "calibrate, quantize, validate, publish; the `summary` task fails the run when a model "
    "failed or missed its gate.",
)

one_model = build_dag(
    ONE_MODEL_DAG_ID,
    None,
    {
        "model": Param(type="string", minLength=1, description="The registry model to re-quantize"),
        **_run_params(),
        # A manual re-run is meant to redo the model even if nothing changed.
        "force": Param(True, type="boolean", description="Re-quantize even if inputs are unchanged"),
    },
    "Re-quantizes ONE model of the Octet registry now (trigger with the `model` param). The "
    "stage commands never skip unchanged models, so this always produces a new run.",
)
