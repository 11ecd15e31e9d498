"""Real runs: dag.test() submits the shaded jar with spark-submit to local Spark, per stage.

The registry is the digits CNN (models/digits-cnn) with its data written as Parquet. One nightly
run must publish and promote it; one run of the one-model DAG with an impossible gate must publish
it as gate-failed, keep `latest` where it was, and fail on the summary task naming the model.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from conftest import DAGS, METRICS

from octet_airflow.runids import octet_run_id

NIGHTLY = "octet_nightly_requantize"
ONE = "octet_requantize_model"
STAGES = ["model.calibrate", "model.quantize", "model.validate", "model.publish"]
SPARK_CONN = "octet_spark_test"


@pytest.fixture(scope="module")
def zoo(tmp_path_factory, airflow_db, spark_home, jobs_jar, monkeypatch_module):
    import digits

    root = tmp_path_factory.mktemp("zoo")
    registry = digits.write_registry(root)
    # The Spark connection (type spark, host = the master) and the jar as an Airflow Variable;
    # the registry and connection id come in as params, as an operator would trigger them.
    monkeypatch_module.setenv(
        f"AIRFLOW_CONN_{SPARK_CONN.upper()}",
        json.dumps({"conn_type": "spark", "host": "local[2]", "extra": {"deploy-mode": "client"}}),
    )
    monkeypatch_module.setenv("AIRFLOW_VAR_OCTET_JAR", str(jobs_jar))
    return {"registry": registry, "warehouse": root / "warehouse"}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def dags(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags


def _conf(zoo, **extra):
    return {
        "registry": str(zoo["registry"]),
        "spark_conn_id": SPARK_CONN,
        # Small driver, no UI, and a JVM tuned for start-up (C1 only, serial GC): the data is
        # tiny, so each stage's spark-submit is mostly JVM warm-up (about 25 s -> 14 s here).
        "spark_conf": {
            "spark.driver.memory": "1g",
            "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
            "spark.ui.enabled": False,
            "spark.sql.shuffle.partitions": 2,
        },
        **extra,
    }


def _run(dag, conf, label):
    logical_date = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    t0 = time.monotonic()
    run = dag.test(logical_date=logical_date, run_conf=conf)
    METRICS[f"dag.test {label}"] = f"{time.monotonic() - t0:.0f} s, {run.state}"
    return run, octet_run_id(dag.dag_id, run.run_id, run.logical_date)


def _task_states(run):
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as s:
        tis = s.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)
        ).all()
        return {(ti.task_id, ti.map_index): (ti.state, ti.rendered_map_index) for ti in tis}


def _summary_results(run):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as s:
        value = s.scalar(
            select(XComModel.value).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == "summary",
                XComModel.key == "results",
            )
        )
    return json.loads(value) if isinstance(value, str) else value


def _manifest(zoo, run_id):
    return json.loads((zoo["warehouse"] / "digits-cnn" / "1" / run_id / "manifest.json").read_text())


def _latest(zoo):
    return json.loads((zoo["warehouse"] / "digits-cnn" / "latest").read_text())["run-id"]


def test_nightly_run_quantizes_validates_and_promotes_the_model(dags, zoo):
    run, run_id = _run(dags[NIGHTLY], _conf(zoo), "nightly, digits-cnn passes")
    states = _task_states(run)
    assert run.state == "success", states
    assert states[("plan", -1)][0] == "success"
    for stage in STAGES:  # one mapped instance per model, labelled with the model's name
        assert states[(stage, 0)] == ("success", "digits-cnn")
    assert states[("summary", -1)][0] == "success"

    published = zoo["warehouse"] / "digits-cnn" / "1" / run_id
    for name in ("model.int8.onnx", "calibration.json", "validation.json", "report.html", "manifest.json"):
        assert (published / name).is_file(), name
    manifest = _manifest(zoo, run_id)
    assert manifest["status"] == "passed" and manifest["run-id"] == run_id and manifest["promoted"] is True
    assert _latest(zoo) == run_id
    [result] = _summary_results(run)
    assert result["model"] == "digits-cnn" and result["status"] == "passed" and result["latest"] is True
    assert result["report"] == (published / "report.html").as_uri()


def test_one_model_run_with_an_impossible_gate_fails_the_summary_naming_the_model(dags, zoo, capfd):
    before = _latest(zoo) if (zoo["warehouse"] / "digits-cnn" / "latest").exists() else None
    conf = _conf(zoo, model="digits-cnn", sets=["validation.gate.min-sqnr-db=200"])
    run, run_id = _run(dags[ONE], conf, "one model, impossible gate")
    states = _task_states(run)
    assert run.state == "failed", states
    # The stages did their job (the model is published, not promoted); the summary fails the run.
    for stage in STAGES:
        assert states[(stage, 0)] == ("success", "digits-cnn")
    assert states[("summary", -1)][0] == "failed"

    manifest = _manifest(zoo, run_id)
    assert manifest["status"] == "gate-failed" and manifest["promoted"] is False
    assert any("SQNR" in f for f in manifest["gate"]["failures"])
    if before is not None:
        assert _latest(zoo) == before
    [result] = _summary_results(run)
    report = (zoo["warehouse"] / "digits-cnn" / "1" / run_id / "report.html").as_uri()
    assert result["status"] == "gate-failed" and result["report"] == report
    out = capfd.readouterr().out
    assert f"Octet run {run_id}: 1 of 1 model(s) failed or missed the gate:" in out
    assert "- digits-cnn: gate-failed: missed its gate: SQNR dB" in out
    assert f"(report: {report})" in out
