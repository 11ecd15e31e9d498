"""Unit tests of octet_airflow: registry reading, settings, run ids, stage arguments, outcomes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from octet_airflow import outcomes, planning, registry, storage
from octet_airflow.runids import RUN_ID_RE, octet_run_id

UTC = dt.timezone.utc
REGISTRY = """
warehouse = "s3a://ml/zoo"
hadoop {
  "fs.s3a.endpoint" = "127.0.0.1:9000"
  "fs.s3a.path.style.access" = true
  "fs.s3a.connection.ssl.enabled" = false
  "fs.s3a.secret.key" = "never-in-xcom"
}
defaults { validation { gate { min-mean-cosine = 0.98 } } }
models {
  minilm { uri = "s3a://m/minilm.onnx", quantization { op-types = [MatMul], method = mse } }
  "digits.cnn" { uri = "s3a://m/d.onnx", inputs = [ { name = image, shape = [1, 8, 8] } ] }
  alpha { include-nodes = [] }
}
"""


def test_registry_lists_models_sorted_like_the_jobs_and_unquotes_names():
    reg = registry.parse(REGISTRY, "zoo.conf")
    assert reg.models == ("alpha", "digits.cnn", "minilm")
    assert reg.warehouse == "s3a://ml/zoo"


def test_registry_keeps_only_non_secret_s3a_endpoint_settings():
    reg = registry.parse(REGISTRY, "zoo.conf")
    assert reg.s3a == {
        "fs.s3a.endpoint": "127.0.0.1:9000",
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": "false",
    }
    assert storage.s3fs_options(reg.s3a) == {
        "client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"},
        "config_kwargs": {"s3": {"addressing_style": "path"}},
    }


def test_warehouse_precedence_is_set_then_environment_then_file_then_default():
    env = {"OCTET__WAREHOUSE": "/env/zoo"}
    assert registry.parse(REGISTRY, "r", ["warehouse=/set/zoo"], env).warehouse == "/set/zoo"
    assert registry.parse(REGISTRY, "r", [], env).warehouse == "/env/zoo"
    assert registry.parse(REGISTRY, "r").warehouse == "s3a://ml/zoo"
    assert registry.parse("models { a {} }", "r").warehouse == registry.DEFAULT_WAREHOUSE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("warehouse = /x", "'models' must be an object"),
        ("models = [a, b]", "'models' must be an object"),
        ("models {}", "lists no models"),
        ("models { a = 1 }", "models.a must be an object"),
        ("models { a { uri = ", "Cannot parse registry bad.conf"),
    ],
)
def test_registry_errors_name_the_registry_and_the_problem(text, message):
    with pytest.raises(registry.RegistryError, match=message):
        registry.parse(text, "bad.conf")


def test_registry_loads_from_path_and_file_uri_and_selects_models(tmp_path):
    p = tmp_path / "r.conf"
    p.write_text(REGISTRY)
    for location in (str(p), p.as_uri()):
        assert registry.load(location).models == ("alpha", "digits.cnn", "minilm")
    reg = registry.load(str(p))
    assert registry.select(reg, []) == ["alpha", "digits.cnn", "minilm"]
    assert registry.select(reg, ["minilm", "alpha"]) == ["alpha", "minilm"]
    with pytest.raises(registry.RegistryError, match=r"No model 'resnet'.*it has alpha, digits.cnn, minilm"):
        registry.select(reg, ["resnet"])
    with pytest.raises(registry.RegistryError, match="Cannot read registry"):
        registry.load(str(tmp_path / "missing.conf"))


def test_s3a_locations_without_s3fs_give_a_clear_error():
    try:
        import s3fs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("s3fs is installed here")
    with pytest.raises(registry.RegistryError, match="needs the 's3fs' package"):
        registry.load("s3a://bucket/registry.conf")


def test_run_ids_match_the_jobs_format_and_are_stable_per_airflow_run():
    when = dt.datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    a = octet_run_id("octet_nightly_requantize", "scheduled__2026-11-29T02:00:00+00:00", when)
    assert RUN_ID_RE.fullmatch(a) and a.startswith("20261129T020000Z-")
    assert a == octet_run_id("octet_nightly_requantize", "scheduled__2026-11-29T02:00:00+00:00", when)
    assert a != octet_run_id("octet_nightly_requantize", "manual__2026-11-29T02:00:00+00:00", when)
    assert a != octet_run_id("octet_requantize_model", "scheduled__2026-11-29T02:00:00+00:00", when)
    cet = dt.timezone(dt.timedelta(hours=1))
    assert octet_run_id("d", "r", when.astimezone(cet)) == octet_run_id("d", "r", when)
    with pytest.raises(ValueError, match="timezone-aware"):
        octet_run_id("d", "r", dt.datetime(2026, 11, 29))


def _variables(**values):
    return lambda key, default=None: values.get(key, default)


def test_params_win_over_variables_and_lists_combine(tmp_path):
    jar = tmp_path / "octet.jar"
    jar.write_bytes(b"jar")
    get = _variables(
        octet_registry="/var/registry.conf",
        octet_jar=str(jar),
        octet_spark_conf='{"spark.executor.memory": "8g", "spark.ui.enabled": "true"}',
        octet_sets='["calibration.partitions=64"]',
    )
    s = planning.resolve_settings({"spark_conf": {"spark.ui.enabled": False}, "sets": ["a.b=1"]}, get)
    assert s.registry == "/var/registry.conf" and s.jar == str(jar)
    assert s.conn_id == planning.DEFAULT_CONN_ID and s.properties_file is None
    assert s.spark_conf == {"spark.executor.memory": "8g", "spark.ui.enabled": "false"}
    assert s.sets == ["calibration.partitions=64", "a.b=1"]
    s = planning.resolve_settings({"registry": "/p.conf", "spark_conn_id": "spark_prod"}, get)
    assert (s.registry, s.conn_id) == ("/p.conf", "spark_prod")


@pytest.mark.parametrize(
    ("params", "variables", "message"),
    [
        ({}, {"octet_jar": "s3a://b/o.jar"}, "No registry"),
        ({"registry": "/r"}, {}, "No jar"),
        ({"registry": "/r", "jar": "/nope/octet.jar"}, {}, "does not exist on this worker"),
        ({"registry": "/r", "jar": "s3a://b/o.jar", "sets": ["oops"]}, {}, "'oops' is not key=value"),
        ({"registry": "/r", "jar": "s3a://b/o.jar"}, {"octet_spark_conf": "[1]"}, "must be a JSON dict"),
        ({"registry": "/r", "jar": "s3a://b/o.jar"}, {"octet_sets": "{"}, "octet_sets must be JSON"),
    ],
)
def test_unusable_settings_fail_the_plan_with_the_setting_named(params, variables, message):
    with pytest.raises(planning.PlanError, match=message):
        planning.resolve_settings(params, _variables(**variables))


def test_plan_makes_one_spec_per_model_with_one_run_id(tmp_path):
    p = tmp_path / "r.conf"
    p.write_text(REGISTRY)
    when = dt.datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    params = {"registry": str(p), "jar": "s3a://b/octet.jar", "models": ["minilm", "alpha"]}
    specs = planning.plan(params, "dag", "run", when, _variables(), env={})
    assert [s["model"] for s in specs] == ["alpha", "minilm"]
    assert {s["run_id"] for s in specs} == {octet_run_id("dag", "run", when)}
    assert "never-in-xcom" not in json.dumps(specs)
    one = planning.plan({**params, "model": "digits.cnn"}, "dag", "run", when, _variables(), env={})
    assert [s["model"] for s in one] == ["digits.cnn"]


def test_plan_refuses_a_relative_warehouse(tmp_path):
    p = tmp_path / "r.conf"
    p.write_text("models { a { uri = x } }")
    with pytest.raises(planning.PlanError, match="'octet-warehouse' .* is a relative path"):
        planning.plan(
            {"registry": str(p), "jar": "s3a://b/o.jar"}, "d", "r", dt.datetime.now(UTC), _variables(), {}
        )


def test_stage_args_follow_the_cli_contract():
    spec = {
        "model": "minilm",
        "run_id": "20261129T020000Z-abcdef",
        "registry": "s3a://ml/r.conf",
        "sets": ["x.y=1", "z=2"],
    }
    assert planning.stage_args("validate", spec) == [
        "validate", "--registry", "s3a://ml/r.conf", "--model", "minilm",
        "--run-id", "20261129T020000Z-abcdef", "--set", "x.y=1", "--set", "z=2",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="Unknown stage"):
        planning.stage_args("train", spec)


def _publish(warehouse: Path, model: str, run_id: str, status: str, failures=(), latest=False):
    d = warehouse / model / "1" / run_id
    d.mkdir(parents=True)
    (d / "report.html").write_text("<html/>")
    manifest = {
        "status": status,
        "run-id": run_id,
        "gate": {"passed": status == "passed", "failures": list(failures)},
    }
    (d / "manifest.json").write_text(json.dumps(manifest))
    if latest:
        (warehouse / model / "latest").write_text(json.dumps({"run-id": run_id}))


def test_outcomes_read_manifests_and_name_every_failed_model_with_its_report(tmp_path):
    wh = tmp_path / "wh"
    run = "20261129T020000Z-abcdef"
    _publish(wh, "good", run, "passed", latest=True)
    _publish(wh, "good", "20261128T020000Z-000000", "passed")
    _publish(wh, "picky", run, "gate-failed", ["mean cosine 0.91 < 0.98 required"])
    specs = [{"model": m, "run_id": run, "warehouse": wh.as_uri()} for m in ("good", "picky", "broken")]
    results = [outcomes.result(s) for s in specs]
    assert [(r.model, r.status, r.latest) for r in results] == [
        ("good", "passed", True),
        ("picky", "gate-failed", False),
        ("broken", "failed", False),
    ]
    assert results[1].report == (wh / "picky" / "1" / run / "report.html").as_uri()
    message = outcomes.failure_message(run, results)
    assert "2 of 3 model(s)" in message
    assert (
        f"picky: gate-failed: missed its gate: mean cosine 0.91 < 0.98 required (report: {results[1].report})"
        in message
    )
    assert "broken: failed: no manifest for run" in message and "good" not in message
    assert outcomes.failure_message(run, results[:1]) is None


def test_report_links_use_the_report_base_url_when_set(tmp_path):
    wh = tmp_path / "wh"
    run = "20261129T020000Z-abcdef"
    _publish(wh, "picky", run, "gate-failed")
    spec = {
        "model": "picky",
        "run_id": run,
        "warehouse": str(wh),
        "report_base_url": "https://zoo.example/browse/",
    }
    assert outcomes.result(spec).report == f"https://zoo.example/browse/picky/1/{run}/report.html"


def test_force_reaches_only_the_calibrate_stage():
    spec = {"model": "m", "run_id": "20261129T020000Z-abcdef", "registry": "/r.conf", "force": True}
    assert planning.stage_args("calibrate", spec)[-1] == "--force"
    assert "--force" not in planning.stage_args("quantize", spec)
    assert "--force" not in planning.stage_args("calibrate", {**spec, "force": False})


def test_a_model_calibrate_skipped_as_unchanged_counts_as_ok(tmp_path):
    wh = tmp_path / "wh"
    run = "20261129T020000Z-abcdef"
    skipped = wh / "_runs" / run / "skipped"
    skipped.mkdir(parents=True)
    (skipped / "same.json").write_text(json.dumps({"reason": "inputs unchanged since run X"}))
    r = outcomes.result({"model": "same", "run_id": run, "warehouse": wh.as_uri()})
    assert (r.status, r.ok, r.detail) == ("skipped", True, "inputs unchanged since run X")
    assert outcomes.failure_message(run, [r]) is None
