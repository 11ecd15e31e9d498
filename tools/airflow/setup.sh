#!/usr/bin/env bash
# Installs what the Airflow DAG tests need (idempotent; a rerun with nothing changed only checks
# a stamp file and the Spark install, about a second):
#   - a virtualenv (default tools/airflow/.venv, ignored by git) with the pinned Apache Airflow,
#     the Spark provider, pyhocon, pytest and pyarrow from tools/airflow/requirements.txt,
#     constrained by constraints-<python X.Y>.txt when there is one for this interpreter,
#   - the Spark distribution spark-submit comes from (pyspark, via tools/it/setup-spark.sh).
# Prints the venv's python on its last line.
#
# Usage: tools/airflow/setup.sh [--refresh-constraints]
#   OCTET_AIRFLOW_VENV  where the venv goes (default: tools/airflow/.venv)
#   PYTHON              the interpreter that creates it (default: python3; 3.10 to 3.13)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${OCTET_AIRFLOW_VENV:-$here/.venv}"
python="${PYTHON:-python3}"
refresh=0
[[ "${1:-}" == "--refresh-constraints" ]] && refresh=1

log() { echo "airflow-setup: $*" >&2; }

if ! command -v "$python" >/dev/null 2>&1; then
  log "'$python' not found; install Python 3.10+ (with venv) first"
  exit 1
fi
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
case "$pyver" in
  3.10 | 3.11 | 3.12 | 3.13) ;;
  *) log "Python $pyver found; Airflow 3.3 needs 3.10 to 3.13 (set PYTHON=...)"; exit 1 ;;
esac

# Spark first: the DAG's stage tasks run spark-submit from this distribution.
"$here/../it/setup-spark.sh" --quiet >/dev/null

constraints="$here/constraints-$pyver.txt"
stamp="$venv/.octet-airflow-stamp"
want="$(cat "$here/requirements.txt" "$constraints" 2>/dev/null | sha256sum | cut -c1-16)-$pyver"
if [[ $refresh == 0 && -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/airflow" ]]; then
  echo "$venv/bin/python"
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  log "creating venv $venv"
  "$python" -m venv "$venv"
fi
args=(-r "$here/requirements.txt")
if [[ $refresh == 0 && -f "$constraints" ]]; then
  args+=(-c "$constraints")
else
  log "no constraints for Python $pyver (or refreshing): resolving requirements.txt afresh"
fi
log "installing Apache Airflow and test packages into $venv (about 700 MB, a few minutes)"
"$venv/bin/python" -m pip install --disable-pip-version-check -q "${args[@]}"
if [[ $refresh == 1 || ! -f "$constraints" ]]; then
  {
    echo "# Resolved set for Python $pyver (pip freeze after installing requirements.txt); used as pip -c."
    echo "# Regenerate: tools/airflow/setup.sh --refresh-constraints"
    "$venv/bin/python" -m pip freeze --disable-pip-version-check
  } >"$constraints"
  log "wrote $constraints"
  want="$(cat "$here/requirements.txt" "$constraints" | sha256sum | cut -c1-16)-$pyver"
fi
"$venv/bin/airflow" version >/dev/null
echo "$want" >"$stamp"
log "Airflow $("$venv/bin/python" -c 'import airflow; print(airflow.__version__)') ready in $venv"
echo "$venv/bin/python"
