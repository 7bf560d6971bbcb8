"""A full disk (issue 13 item 8), for real: the warehouse on a tmpfs too small for the run's
copy, mounted in a user and mount namespace of the test's own (``unshare -rm``), so no root
and nothing outside the test is touched. The run must print one line naming the step and the
path, remove its partial copy, leave the published file as it was, and leak nothing."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sesame.flows.nightly import nightly_flow
from sesame.settings import Settings
from tests.builders import Exports

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

D = date(2026, 6, 30)
SESAME = Path(sys.executable).with_name("sesame")


def namespaces_work(tmp_path: Path) -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    done = subprocess.run(
        [unshare, "-rm", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {probe}"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_a_full_disk_names_the_step_and_the_path_and_removes_the_partial_copy(
    settings: Settings, tmp_path: Path
) -> None:
    if not namespaces_work(tmp_path):
        pytest.skip("needs unshare -rm (user and mount namespaces) to mount a small tmpfs")
    exports = Exports()
    for user_id in range(1, 7):
        exports.active_user(user_id, D, months=16)
    exports.write(settings.input)
    built = settings.model_copy(update={"history_months": 2})
    nightly_flow(as_of=D, settings=built)
    source = settings.warehouse
    used = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    database = settings.database_path().stat().st_size
    # room for the warehouse and half of its database again: the run's copy cannot fit
    size_kb = math.ceil((used + database // 2) / 1024) + 256
    small = tmp_path / "small"
    small.mkdir()
    report = tmp_path / "report"
    report.mkdir()
    script = f"""
        set -u
        mount -t tmpfs -o size={size_kb}k tmpfs {small}
        cp -a {source} {small}/warehouse
        sha256sum {small}/warehouse/sesame.duckdb > {report}/before
        SESAME_HISTORY_MONTHS=2 SESAME_PREFECT_HOME={tmp_path}/prefect \\
            {SESAME} nightly --as-of {D} --input {settings.input} \\
            --warehouse {small}/warehouse > {report}/stdout 2> {report}/stderr
        echo $? > {report}/rc
        sha256sum {small}/warehouse/sesame.duckdb > {report}/after
        ls -a {small}/warehouse > {report}/listing
    """
    # as a user runs it: none of the test session's Prefect settings (its log level above all)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    subprocess.run(["unshare", "-rm", "sh", "-c", script], check=True, timeout=600, env=environment)
    stderr = (report / "stderr").read_text()
    assert (report / "rc").read_text().strip() == "8", stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr  # one line, no traceback, no leak report
    assert "copy warehouse" in lines[0] and f"{small}/warehouse" in lines[0]
    assert "No space left on device" in lines[0] and "nothing was published" in lines[0]
    assert "nanobind" not in stderr
    listing = (report / "listing").read_text().split()
    assert not [name for name in listing if name.startswith(".sesame.duckdb.building")]
    before = (report / "before").read_text().split()[0]
    assert (report / "after").read_text().split()[0] == before
