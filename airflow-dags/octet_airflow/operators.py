"""One Octet stage (calibrate, quantize, validate or publish) for one model, via spark-submit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from octet_airflow.planning import JAVA_CLASS, STAGES, stage_args

# io.octet.jobs.Main exit codes.
EXIT_MODEL = 1  # the model failed, or (validate, publish) missed its gate
EXIT_CONFIG = 2  # usage or config error: deterministic, retrying cannot help


class OctetStageOperator(SparkSubmitOperator):
    """Runs ``spark-submit --class io.octet.jobs.Main <jar> <stage> ...`` for the model in ``spec``.

    ``spec`` (templated; in the DAG, the mapped task group's argument) comes from
    :func:`octet_airflow.planning.plan`: it names the model, the Octet run id, the registry, the
    jar, the Spark connection and properties. Exit codes are mapped to Airflow outcomes:

    * 0: success.
    * 2 (usage/config error): fails at once, no retries.
    * 1 from ``validate`` when the staged verdict says the gate was missed, or from ``publish``
      when this run's manifest is published with status ``gate-failed``: the task succeeds (the
      stage did its job; the model is published but not promoted) so that publish runs, and the
      summary task fails the DAG run naming the model.
    * 1 from ``publish`` when this run is already published and promoted (a retry after a lost
      worker, or a cleared task): a run id publishes once, and that publish is complete.
    * anything else: an ordinary failure, retried with the DAG's backoff. Retries reuse the run
      id, so a retried stage reads what the earlier stages staged.
    """

    template_fields = (*SparkSubmitOperator.template_fields, "spec")
    ui_color = "#d8e7f5"

    def __init__(self, *, stage: str, spec: Mapping[str, Any] | Any, **kwargs: Any) -> None:
        if stage not in STAGES:
            raise ValueError(f"Unknown stage {stage}, expected one of {STAGES}")
        kwargs.setdefault("task_id", stage)
        super().__init__(java_class=JAVA_CLASS, name=f"octet-{stage}", **kwargs)
        self.stage = stage
        self.spec = spec

    def _configure(self) -> None:
        spec = self.spec
        self.application = spec["jar"]
        self.application_args = stage_args(self.stage, spec)
        self.name = f"octet-{self.stage}-{spec['model']}"
        # SparkSubmitOperator takes these as constructor arguments only; the spec decides them
        # at run time (params and Variables), so they are set before the hook is built.
        self._conn_id = spec["conn_id"]
        self.properties_file = spec.get("properties_file") or None
        self.conf = {**(self.conf or {}), **(spec.get("spark_conf") or {})}

    def _exit_code(self) -> int | None:
        proc = getattr(self._hook, "_submit_sp", None)
        return getattr(proc, "returncode", None)

    def _settled(self) -> dict[str, Any] | None:
        """After exit code 1: the stage's outcome if the warehouse shows it finished its job."""
        from octet_airflow import outcomes, storage  # noqa: PLC0415 - task-time import

        def failures(doc: dict[str, Any]) -> str:
            return "; ".join((doc.get("gate") or {}).get("failures") or []) or "gate failed"

        if self.stage == "validate":
            verdict = outcomes.staged_validation(self.spec)
            if verdict is not None and (verdict.get("gate") or {}).get("passed") is False:
                return {"gate": "missed", "failures": failures(verdict)}
        elif self.stage == "publish":
            found = outcomes.published_manifest(self.spec)
            if found is not None and found[1].get("status") == outcomes.GATE_FAILED:
                return {"gate": "missed", "failures": failures(found[1])}
            if found is not None and found[1].get("status") == outcomes.PASSED:
                store = storage.for_location(self.spec["warehouse"], self.spec.get("s3a") or {})
                latest = storage.join(self.spec["warehouse"], self.spec["model"], "latest")
                if store.exists(latest) and store.read_json(latest).get("run-id") == self.spec["run_id"]:
                    return {"gate": "passed", "already-published": True}
        return None

    def execute(self, context: Any) -> dict[str, Any]:
        self._configure()
        model, run_id = self.spec["model"], self.spec["run_id"]
        out = {"model": model, "run_id": run_id, "stage": self.stage}
        try:
            super().execute(context)
        except AirflowException as e:
            code = self._exit_code()
            if code == EXIT_CONFIG:
                raise AirflowFailException(
                    f"Octet {self.stage} for {model} (run {run_id}) exited with 2: a usage or"
                    " registry error (see the log above); not retried."
                ) from e
            settled = self._settled() if code == EXIT_MODEL else None
            if settled is None:
                raise
            if settled.get("already-published"):
                self.log.warning("%s is already published and promoted for run %s.", model, run_id)
            else:
                self.log.warning(
                    "%s missed its validation gate in run %s (%s); continuing so that publish"
                    " records it and the summary reports it.",
                    model,
                    run_id,
                    settled["failures"],
                )
            return {**out, **settled}
        return {**out, "gate": "passed" if self.stage in ("validate", "publish") else None}
