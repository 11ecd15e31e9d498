"""Turns a DAG run's params and the ``octet_*`` Variables into one spec per model.

A spec is a small JSON-able dict that travels through XCom to the model's task group: the four
stage tasks build their ``spark-submit`` arguments from it (:func:`stage_args`) and the summary
task finds the model's artifacts with it. Everything that can be wrong with the settings is
found here, in one task, before any Spark job starts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from octet_airflow import registry as registry_mod
from octet_airflow import storage
from octet_airflow.runids import octet_run_id

STAGES = ("calibrate", "quantize", "validate", "publish")
JAVA_CLASS = "io.octet.jobs.Main"
DEFAULT_CONN_ID = "spark_default"
DEFAULT_SCHEDULE = "0 2 * * *"

#: Airflow Variables the DAGs read (params of the same meaning win over them).
VARIABLES = {
    "octet_registry": "registry file or URI (param 'registry')",
    "octet_jar": "path or URI of octet-jobs-<version>-shaded.jar (param 'jar')",
    "octet_spark_conn_id": f"Spark connection id, default {DEFAULT_CONN_ID} (param 'spark_conn_id')",
    "octet_spark_properties_file": "spark-submit --properties-file (param 'spark_properties_file')",
    "octet_spark_conf": "JSON object of extra Spark properties (param 'spark_conf' adds to it)",
    "octet_sets": "JSON list of key=value overrides for every stage (param 'sets' appends)",
    "octet_report_base_url": "URL that serves the warehouse, for report links in the summary",
    "octet_schedule": f"cron schedule of the nightly DAG, default '{DEFAULT_SCHEDULE}' (parse time)",
}

GetVariable = Callable[[str, Any], Any]


class PlanError(ValueError):
    """The run's settings are unusable; the message says which setting and how to fix it."""


@dataclasses.dataclass(frozen=True)
class Settings:
    registry: str
    jar: str
    conn_id: str
    properties_file: str | None
    spark_conf: dict[str, str]
    sets: list[str]
    report_base_url: str | None


def _json_variable(get_variable: GetVariable, key: str, kind: type, default: Any) -> Any:
    raw = get_variable(key, None)
    if raw in (None, ""):
        return default
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as e:
        raise PlanError(f"Variable {key} must be JSON ({kind.__name__}): {e}") from e
    if not isinstance(value, kind):
        raise PlanError(f"Variable {key} must be a JSON {kind.__name__}, got {raw!r}")
    return value


def resolve_settings(params: Mapping[str, Any], get_variable: GetVariable) -> Settings:
    """Params win over Variables; ``sets`` and ``spark_conf`` combine (params last)."""

    def pick(param: str, variable: str, default: str | None = None) -> str | None:
        value = params.get(param) or get_variable(variable, None) or default
        return str(value).strip() if value is not None else None

    registry = pick("registry", "octet_registry")
    if not registry:
        raise PlanError("No registry: set the 'registry' param or the Variable octet_registry")
    jar = pick("jar", "octet_jar")
    if not jar:
        raise PlanError("No jar: set the 'jar' param or the Variable octet_jar")
    if not storage.is_s3(jar) and "://" not in jar and not os.path.isfile(jar):
        raise PlanError(f"Jar {jar} does not exist on this worker (param 'jar' / Variable octet_jar)")
    spark_conf = dict(_json_variable(get_variable, "octet_spark_conf", dict, {}))
    spark_conf.update(params.get("spark_conf") or {})
    sets = list(_json_variable(get_variable, "octet_sets", list, []))
    sets += list(params.get("sets") or [])
    for s in sets:
        if "=" not in str(s) or str(s).startswith("="):
            raise PlanError(f"Override '{s}' is not key=value (param 'sets' / Variable octet_sets)")
    return Settings(
        registry=registry,
        jar=jar,
        conn_id=pick("spark_conn_id", "octet_spark_conn_id", DEFAULT_CONN_ID) or DEFAULT_CONN_ID,
        properties_file=pick("spark_properties_file", "octet_spark_properties_file"),
        spark_conf={str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in spark_conf.items()},
        sets=[str(s) for s in sets],
        report_base_url=pick("report_base_url", "octet_report_base_url"),
    )


def wanted_models(params: Mapping[str, Any]) -> list[str]:
    """``model`` (the one-model DAG) or ``models`` (the nightly DAG; empty = all)."""
    one = (params.get("model") or "").strip()
    many = [m.strip() for m in params.get("models") or [] if m and m.strip()]
    return [one] if one else many


def plan(
    params: Mapping[str, Any],
    dag_id: str,
    airflow_run_id: str,
    when: dt.datetime,
    get_variable: GetVariable,
    env: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Reads the registry and returns one spec per selected model, in registry order."""
    settings = resolve_settings(params, get_variable)
    env = os.environ if env is None else env
    reg = registry_mod.load(settings.registry, settings.sets, env)
    warehouse = reg.warehouse
    if not storage.is_absolute(warehouse):
        raise PlanError(
            f"Warehouse '{warehouse}' of {reg.source} is a relative path: the Spark driver and"
            " the Airflow workers would each resolve it differently. Use an absolute path,"
            " file:///... or s3a://... (in the registry, or --set warehouse=... in 'sets')."
        )
    run_id = octet_run_id(dag_id, airflow_run_id, when)
    common = {
        "run_id": run_id,
        "registry": settings.registry,
        "warehouse": warehouse,
        "s3a": dict(reg.s3a),
        "jar": settings.jar,
        "conn_id": settings.conn_id,
        "properties_file": settings.properties_file,
        "spark_conf": settings.spark_conf,
        "sets": settings.sets,
        "report_base_url": settings.report_base_url,
        "force": bool(params.get("force", False)),
    }
    return [{"model": m, **common} for m in registry_mod.select(reg, wanted_models(params))]


def stage_args(stage: str, spec: Mapping[str, Any]) -> list[str]:
    """``<stage> --registry R --model M --run-id ID [--set k=v ...]`` for io.octet.jobs.Main."""
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage}, expected one of {STAGES}")
    args = [stage, "--registry", spec["registry"], "--model", spec["model"], "--run-id", spec["run_id"]]
    if stage == "calibrate" and spec.get("force"):
        args.append("--force")
    for s in spec.get("sets") or []:
        args += ["--set", s]
    return args
