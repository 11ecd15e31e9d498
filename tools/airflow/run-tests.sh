#!/usr/bin/env bash
# Runs the Airflow DAG tests (airflow-dags/tests) against a real Apache Airflow (SQLite metadata
# DB in a temporary AIRFLOW_HOME) and real Spark in local mode; bin/test calls it.
# Installs what it needs first (tools/airflow/setup.sh, idempotent) and builds the shaded jar if
# it is missing.
#
# Usage: tools/airflow/run-tests.sh [pytest args], e.g. -k structure
#   OCTET_JOBS_JAR  the shaded jar to submit (default: jobs/target/octet-jobs-*-shaded.jar)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="$("$root/tools/airflow/setup.sh" | tail -n 1)"
SPARK_HOME="$("$root/tools/it/setup-spark.sh" --quiet | tail -n 1)"
export SPARK_HOME

if [[ -z "${OCTET_JOBS_JAR:-}" ]] && ! compgen -G "$root/jobs/target/octet-jobs-*-shaded.jar" >/dev/null; then
  echo "airflow-tests: building the shaded jar (jobs/target) first" >&2
  (cd "$root" && mvn -q -B -ntp -DskipTests -Dspotless.check.skip=true install)
fi

cd "$root/airflow-dags"
# No cache dir: airflow-dags/ is a DAG folder, and the tests parse it as one.
exec "$python" -m pytest -p no:cacheprovider -q --durations=8 -W ignore::DeprecationWarning tests "$@"
