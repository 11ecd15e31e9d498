"""Test session setup: a throwaway AIRFLOW_HOME with a SQLite metadata DB, Spark on PATH.

Airflow reads its configuration when first imported, so the environment is set here, before any
test module imports it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
DAGS = TESTS.parent
REPO = DAGS.parent

_home = Path(tempfile.mkdtemp(prefix="octet-airflow-test-"))
for _name in [n for n in os.environ if n.startswith(("AIRFLOW_VAR_OCTET_", "AIRFLOW__", "OCTET__"))]:
    del os.environ[_name]  # a developer's own Airflow settings must not leak into the tests
os.environ.update(
    {
        "AIRFLOW_HOME": str(_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_home}/airflow.db",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(_home / "logs"),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
)
sys.path[:0] = [str(DAGS), str(TESTS)]  # octet_airflow and digits, as Airflow would see them


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """``airflow db migrate`` into the session's SQLite DB (dag.test() needs a metadata DB)."""
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, text=True)
    return _home


@pytest.fixture(scope="session")
def spark_home() -> Path:
    """The pyspark distribution tools/it/setup-spark.sh installs; its bin/ goes first on PATH."""
    home = os.environ.get("SPARK_HOME")
    if not home:
        out = subprocess.run(
            [str(REPO / "tools" / "it" / "setup-spark.sh"), "--quiet"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        home = out.strip().splitlines()[-1]
    os.environ["SPARK_HOME"] = home
    os.environ["PATH"] = f"{home}/bin{os.pathsep}{os.environ['PATH']}"
    assert shutil.which("spark-submit"), f"no spark-submit in {home}/bin"
    return Path(home)


@pytest.fixture(scope="session")
def jobs_jar(tmp_path_factory) -> Path:
    """A private copy of the shaded jar (a concurrent `mvn install` may rewrite jobs/target)."""
    given = os.environ.get("OCTET_JOBS_JAR")
    found = [Path(given)] if given else sorted((REPO / "jobs" / "target").glob("octet-jobs-*-shaded.jar"))
    if not found or not found[0].is_file():
        pytest.fail(
            "The shaded jar is missing: build it with"
            " `mvn -q -DskipTests -Dspotless.check.skip=true install` (tools/airflow/run-tests.sh does)"
        )
    copy = tmp_path_factory.mktemp("jar") / "octet-jobs-shaded.jar"
    shutil.copyfile(found[0], copy)
    return copy


#: Figures tests record for the end-of-session summary (parse time, DAG run durations).
METRICS: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter):
    if METRICS:
        terminalreporter.section("octet airflow figures")
        for key, value in METRICS.items():
            terminalreporter.write_line(f"{key}: {value}")
