"""OctetStageOperator: the spark-submit command it builds and how exit codes become outcomes."""

from __future__ import annotations

import json

import pytest

SPEC = {
    "model": "digits-cnn",
    "run_id": "20261129T020000Z-abcdef",
    "registry": "/srv/octet/registry.conf",
    "warehouse": None,  # set per test
    "s3a": {},
    "jar": "/opt/octet/octet-jobs-0.1.0-SNAPSHOT-shaded.jar",
    "conn_id": "octet_spark_unit",
    "properties_file": "/opt/octet/spark.properties",
    "spark_conf": {"spark.driver.memory": "2g"},
    "sets": ["validation.max-rows=100"],
    "report_base_url": None,
}


@pytest.fixture
def spec(tmp_path, monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_OCTET_SPARK_UNIT", json.dumps({"conn_type": "spark", "host": "local[2]"})
    )
    return {**SPEC, "warehouse": (tmp_path / "wh").as_uri()}


def _operator(stage, spec):
    from octet_airflow.operators import OctetStageOperator

    return OctetStageOperator(stage=stage, spec=spec)


def test_builds_one_short_spark_submit_per_stage(spec):
    op = _operator("quantize", spec)
    op._configure()
    cmd = op._get_hook()._build_spark_submit_command(op.application)
    assert cmd[:3] == ["spark-submit", "--master", "local[2]"]
    assert ["--conf", "spark.driver.memory=2g"] == cmd[cmd.index("--conf") : cmd.index("--conf") + 2]
    assert cmd[cmd.index("--properties-file") + 1] == SPEC["properties_file"]
    assert cmd[cmd.index("--class") + 1] == "io.octet.jobs.Main"
    assert cmd[cmd.index(SPEC["jar"]) + 1 :] == [
        "quantize", "--registry", SPEC["registry"], "--model", "digits-cnn",
        "--run-id", SPEC["run_id"], "--set", "validation.max-rows=100",
    ]  # fmt: skip
    # ONNX Runtime 1.29's JNI init crashes when /proc/self/cmdline passes ~4 KB: Spark settings
    # belong in the properties file, and the command stays far below that.
    assert len(" ".join(cmd)) < 1500


class _FakeProcess:
    def __init__(self, returncode):
        self.returncode = returncode


@pytest.fixture
def spark_exits(monkeypatch):
    """Makes spark-submit 'exit' with the given code, as the hook reports it."""
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
    from airflow.sdk.exceptions import AirflowException

    code = {"rc": 0}

    def execute(self, context):
        self._hook = type("Hook", (), {"_submit_sp": _FakeProcess(code["rc"])})()
        if code["rc"]:
            raise AirflowException(f"Cannot execute: spark-submit ... Error code is: {code['rc']}.")

    monkeypatch.setattr(SparkSubmitOperator, "execute", execute)
    return code


def _stage_validation(spec, passed):
    from octet_airflow import storage

    d = storage.local_path(spec["warehouse"]) / "_staging" / spec["run_id"] / spec["model"]
    d.mkdir(parents=True)
    (d / "validation.json").write_text(
        json.dumps({"gate": {"passed": passed, "failures": ["SQNR dB 42 < 200"]}})
    )


def _publish_manifest(spec, status, latest_run=None):
    from octet_airflow import storage

    d = storage.local_path(spec["warehouse"]) / spec["model"] / "1" / spec["run_id"]
    d.mkdir(parents=True)
    (d / "manifest.json").write_text(
        json.dumps({"status": status, "gate": {"failures": ["SQNR dB 42 < 200"]}})
    )
    if latest_run:
        (d.parent.parent / "latest").write_text(json.dumps({"run-id": latest_run}))


def test_success(spec, spark_exits):
    assert _operator("calibrate", spec).execute({})["stage"] == "calibrate"


def test_config_errors_fail_without_retries(spec, spark_exits):
    from airflow.sdk.exceptions import AirflowFailException

    spark_exits["rc"] = 2
    with pytest.raises(AirflowFailException, match="exited with 2: a usage or registry error"):
        _operator("calibrate", spec).execute({})


def test_a_missed_gate_lets_validate_and_publish_succeed(spec, spark_exits):
    spark_exits["rc"] = 1
    _stage_validation(spec, passed=False)
    assert _operator("validate", spec).execute({})["gate"] == "missed"
    _publish_manifest(spec, "gate-failed")
    out = _operator("publish", spec).execute({})
    assert out["gate"] == "missed" and out["failures"] == "SQNR dB 42 < 200"


@pytest.mark.parametrize("stage", ["calibrate", "quantize", "validate", "publish"])
def test_other_failures_stay_failures_and_are_retried(spec, spark_exits, stage):
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    spark_exits["rc"] = 1  # no staged verdict, no manifest: the stage itself failed
    with pytest.raises(AirflowException) as e:
        _operator(stage, spec).execute({})
    assert not isinstance(e.value, AirflowFailException)


def test_a_passed_verdict_with_a_failing_exit_is_not_masked(spec, spark_exits):
    from airflow.sdk.exceptions import AirflowException

    spark_exits["rc"] = 1
    _stage_validation(spec, passed=True)
    with pytest.raises(AirflowException):
        _operator("validate", spec).execute({})


def test_a_publish_retried_after_it_completed_succeeds(spec, spark_exits):
    from airflow.sdk.exceptions import AirflowException

    from octet_airflow import storage

    spark_exits["rc"] = 1  # the jobs refuse a second manifest for one run id
    _publish_manifest(spec, "passed", latest_run="20261128T020000Z-000000")
    with pytest.raises(AirflowException):  # published, but latest never moved: not complete
        _operator("publish", spec).execute({})
    latest = storage.local_path(spec["warehouse"]) / spec["model"] / "latest"
    latest.write_text(json.dumps({"run-id": spec["run_id"]}))
    assert _operator("publish", spec).execute({})["already-published"] is True
