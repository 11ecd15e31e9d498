#!/usr/bin/env bash
# Installs the Spark distribution the integration tests run a standalone cluster from.
#
# The pyspark wheel on PyPI carries a full Spark distribution (jars/, bin/spark-submit,
# bin/spark-class), so a virtual environment with pyspark==<spark.version> (read from the root
# pom.xml) is all the cluster needs.
# Idempotent: a second run with the right version installed only prints SPARK_HOME.
#
# Usage: tools/it/setup-spark.sh [--quiet]
#   OCTET_IT_VENV   where the venv goes (default: tools/it/.venv, ignored by git)
#   PYTHON          the interpreter that creates it (default: python3)
# Prints SPARK_HOME on its last line of output.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The one source of truth is <spark.version> in the root pom.xml.
SPARK_VERSION="$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' "$here/../../pom.xml" | sed -n 1p)"
if [[ -z "$SPARK_VERSION" ]]; then
  echo "setup-spark: cannot read <spark.version> from $here/../../pom.xml" >&2
  exit 1
fi
venv="${OCTET_IT_VENV:-$here/.venv}"
python="${PYTHON:-python3}"
quiet=0
[[ "${1:-}" == "--quiet" ]] && quiet=1

log() { [[ $quiet == 1 ]] || echo "setup-spark: $*" >&2; }

if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup-spark: '$python' not found; install Python 3.10+ (with venv) first" >&2
  exit 1
fi
if ! command -v java >/dev/null 2>&1; then
  echo "setup-spark: 'java' not found; Spark $SPARK_VERSION needs Java 17+ on PATH" >&2
  exit 1
fi

installed=""
if [[ -x "$venv/bin/python" ]]; then
  installed="$("$venv/bin/python" -c 'import pyspark; print(pyspark.__version__)' 2>/dev/null || true)"
fi

if [[ "$installed" != "$SPARK_VERSION" ]]; then
  if [[ ! -x "$venv/bin/python" ]]; then
    log "creating venv $venv"
    "$python" -m venv "$venv"
  fi
  log "installing pyspark==$SPARK_VERSION into $venv (about 450 MB)"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q "pyspark==$SPARK_VERSION"
fi

spark_home="$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
# Wheels do not always keep the executable bit on the launcher scripts. The wheel has no
# sbin/start-*.sh: the harness starts Master and Worker through bin/spark-class instead.
chmod +x "$spark_home"/bin/* 2>/dev/null || true
for f in bin/spark-submit bin/spark-class "jars/spark-core_2.13-$SPARK_VERSION.jar"; do
  if [[ ! -e "$spark_home/$f" ]]; then
    echo "setup-spark: $spark_home/$f is missing; the pyspark install is broken, remove $venv and rerun" >&2
    exit 1
  fi
done
log "Spark $SPARK_VERSION ready"
echo "$spark_home"
