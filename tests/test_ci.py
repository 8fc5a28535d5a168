"""The test run's own guarantees: a selected server that cannot be reached fails the run
(never skips), and ``.ci/run`` starts the servers before calling the README's command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("backend", "variable", "url"),
    [
        ("postgresql", "ORMOLU_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:9/x"),
        ("mysql", "ORMOLU_TEST_MYSQL_URL", "mysql://root:s3cret@127.0.0.1:9/"),
    ],
)
def test_an_unreachable_server_fails_the_run(backend: str, variable: str, url: str) -> None:
    env = {**os.environ, variable: url}  # port 9 (discard): nothing listens there
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--db={backend}",
         "--frontend=sync", "tests/integration/test_query.py::test_filter_by"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-2000:]
    assert f"the {backend} server at" in out and "cannot be used" in out
    assert "1 error" in out and "skipped" not in out  # fails in the db fixture
    assert "s3cret" not in out  # the password of the test URL is not shown either


def test_ci_entry_point_starts_the_servers_then_runs_the_readme_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/test.sh" in readme
    assert script.rstrip().endswith("exec bash scripts/test.sh")
    assert "pg_ctlcluster --skip-systemctl-redirect" in script
    assert "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd" in script
    assert "pg_isready" in script and "mysqladmin" in script  # it waits until they accept
    check = subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")], check=False)
    assert check.returncode == 0
