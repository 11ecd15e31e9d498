"""The DAG files as Airflow loads them: import errors, shape, mapping, retries, parse cost."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import DAGS, METRICS

NIGHTLY = "octet_nightly_requantize"
ONE = "octet_requantize_model"
STAGE_IDS = ["model.calibrate", "model.quantize", "model.validate", "model.publish"]


@pytest.fixture(scope="module")
def bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dagbag_imports_both_dags_without_errors(bag):
    assert bag.import_errors == {}
    assert sorted(bag.dags) == [NIGHTLY, ONE]
    # Only the DAG file is parsed: helpers and tests are in .airflowignore.
    assert [Path(s.file).name for s in bag.dagbag_stats] == ["octet_requantize.py"]


def test_the_bundle_dagbag_the_dag_processor_uses_loads_them_too():
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS, bundle_name="dags-folder")
    assert bag.import_errors == {} and sorted(bag.dags) == [NIGHTLY, ONE]


@pytest.mark.parametrize("dag_id", [NIGHTLY, ONE])
def test_task_graph(bag, dag_id):
    dag = bag.dags[dag_id]
    assert sorted(dag.task_ids) == sorted(["plan", *STAGE_IDS, "summary"])
    down = {t: dag.get_task(t).downstream_task_ids for t in dag.task_ids}
    # Every stage reads its model's spec from plan's output, so plan is upstream of all four.
    assert down["plan"] == {*STAGE_IDS, "summary"}
    for a, b in zip(STAGE_IDS, STAGE_IDS[1:], strict=False):
        assert down[a] == {b}
        assert dag.get_task(b).upstream_task_ids == {a, "plan"}
    assert down["model.publish"] == {"summary"}
    assert down["summary"] == set()
    assert dag.get_task("summary").upstream_task_ids == {"plan", "model.publish"}


@pytest.mark.parametrize("dag_id", [NIGHTLY, ONE])
def test_one_mapped_task_group_per_model_labelled_by_model(bag, dag_id):
    from airflow.sdk.definitions.taskgroup import MappedTaskGroup

    from octet_airflow.operators import OctetStageOperator

    dag = bag.dags[dag_id]
    group = dag.task_group_dict["model"]
    assert isinstance(group, MappedTaskGroup)
    # The group is expanded over plan's return value (one spec per model), at run time.
    refs = {op.task_id for op, _ in group._expand_input.iter_references()}
    assert refs == {"plan"}
    for task_id, stage in zip(STAGE_IDS, ["calibrate", "quantize", "validate", "publish"], strict=True):
        t = dag.get_task(task_id)
        assert isinstance(t, OctetStageOperator) and t.stage == stage
        assert t._java_class == "io.octet.jobs.Main"
        assert t.map_index_template == "{{ task.spec.model }}"
        assert t.task_group is group


@pytest.mark.parametrize("dag_id", [NIGHTLY, ONE])
def test_retries_backoff_and_trigger_rules(bag, dag_id):
    dag = bag.dags[dag_id]
    for task_id in STAGE_IDS:
        t = dag.get_task(task_id)
        assert t.retries == 2
        assert t.retry_delay == dt.timedelta(minutes=2)
        assert t.retry_exponential_backoff == 2.0
        assert t.max_retry_delay == dt.timedelta(minutes=30)
        assert t.trigger_rule == "all_success"
    summary = dag.get_task("summary")
    assert summary.trigger_rule == "all_done"
    assert summary.retries == 0
    assert dag.get_task("plan").retries == 1


def test_dag_settings_and_params(bag):
    nightly, one = bag.dags[NIGHTLY], bag.dags[ONE]
    assert nightly.timetable.expression == "0 2 * * *"
    assert type(one.timetable).__name__ == "NullTimetable"
    for dag in (nightly, one):
        assert dag.catchup is False and dag.max_active_runs == 1
        assert {"registry", "sets", "jar", "spark_conn_id", "spark_properties_file", "spark_conf"} <= set(
            dag.params
        )
    assert nightly.params["models"] == [] and "model" not in nightly.params
    assert "models" not in one.params
    with pytest.raises(Exception, match="model"):
        one.params.validate()  # the one-model DAG cannot run without naming the model


def test_schedule_comes_from_the_octet_schedule_variable(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("AIRFLOW_VAR_OCTET_SCHEDULE", "30 3 * * 1-5")
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.dags[NIGHTLY].timetable.expression == "30 3 * * 1-5"


PARSE_PROBE = textwrap.dedent(
    """
    import json, sys, time
    import airflow.sdk, airflow.dag_processing.dagbag as dagbag  # loaded in a DAG processor
    events = []
    def audit(event, args):
        if event == "open":
            events.append(["open", str(args[0])])
        elif event in ("socket.connect", "subprocess.Popen", "os.system", "urllib.Request"):
            events.append([event, str(args[0])])
    sys.addaudithook(audit)
    t = time.perf_counter()
    bag = dagbag.DagBag(dag_folder=sys.argv[1])
    wall = time.perf_counter() - t
    warm = dagbag.DagBag(dag_folder=sys.argv[1])  # as the processor re-parses it
    print(json.dumps({"wall": wall, "file": [s.duration.total_seconds() for s in bag.dagbag_stats],
                      "warm": [s.duration.total_seconds() for s in warm.dagbag_stats],
                      "errors": bag.import_errors, "dags": sorted(bag.dags), "events": events}))
    """
)


def test_parsing_reads_nothing_but_code_and_variables(tmp_path):
    """A fresh interpreter (cold imports of the DAG's modules), as a DAG processor parses it."""
    env = {
        **__import__("os").environ,
        # Settings that would make a parse-time registry or jar read fail loudly.
        "AIRFLOW_VAR_OCTET_REGISTRY": str(tmp_path / "no-such-registry.conf"),
        "AIRFLOW_VAR_OCTET_JAR": str(tmp_path / "no-such.jar"),
    }
    out = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE, str(DAGS)], env=env, check=True, capture_output=True, text=True
    ).stdout
    probe = json.loads(out.strip().splitlines()[-1])
    assert probe["errors"] == {} and probe["dags"] == [NIGHTLY, ONE]
    METRICS["DAG file parse, cold (first parse in a fresh interpreter)"] = f"{probe['file'][0]:.3f} s"
    METRICS["DAG file parse, warm (re-parse)"] = f"{probe['warm'][0]:.3f} s"
    # The parse times are reported, not asserted: tests check correctness, and this shared machine's
    # load moves wall-clock figures (what keeps parsing cheap is asserted below: no I/O but code).
    allowed = (".py", ".pyc", ".so", "airflow.db", "airflow.cfg")

    def expected(event):
        kind, path = event
        code = path.endswith(allowed) or "site-packages" in path or Path(path).is_dir()
        scan = Path(path).is_relative_to(DAGS)  # DagBag peeks into every file of the folder
        return kind == "open" and (code or scan)

    unexpected = [e for e in probe["events"] if not expected(e)]
    assert unexpected == [], unexpected
