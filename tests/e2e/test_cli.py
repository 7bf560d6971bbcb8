"""The ``sesame`` command as a user runs it (a real process), on a warehouse made in the test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sesame.reason_codes import REASON_TEXT
from sesame.settings import Settings
from tests import pipeline
from tests.builders import Exports, at

D = date(2026, 6, 30)


def sesame(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "sesame", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def warehouse(settings: Settings, exports: Exports) -> Settings:
    exports.active_user(1, D)
    exports.active_user(2, D)
    exports.bill(2, date(2026, 6, 1), paid=None)  # overdue at D
    exports.risk_event(2, at(date(2026, 3, 3)))
    pipeline.run(settings, [date(2026, 5, 31), D], exports)
    return settings


def test_sql_prints_a_table(warehouse: Settings) -> None:
    result = sesame(
        "sql",
        "select user_id, tier from score_snapshots where snapshot_date = '2026-06-30' "
        "order by user_id",
        "--warehouse",
        str(warehouse.warehouse),
    )
    assert result.returncode == 0, result.stderr
    assert "user_id" in result.stdout and "tier" in result.stdout
    assert "2 row(s)" in result.stdout


def test_sql_csv_output_lists_reasons(warehouse: Settings) -> None:
    result = sesame(
        "sql",
        "select user_id, reasons from score_snapshots where user_id = 2 "
        "and snapshot_date = '2026-06-30'",
        "--format",
        "csv",
        "--warehouse",
        str(warehouse.warehouse),
    )
    assert result.returncode == 0, result.stderr
    header, line = result.stdout.strip().splitlines()
    assert header == "user_id,reasons"
    reasons = pipeline.snapshot(warehouse, D)[2]["reasons"]
    assert reasons and line == "2," + "|".join(reasons)


@pytest.mark.parametrize(
    "statement",
    [
        "insert into runs select * from runs",  # a write
        "delete from score_snapshots",  # a write
        "update score_snapshots set score = 950",  # a write
        "create table x as select 1",  # DDL
        "drop table score_snapshots",  # DDL
        "attach '/tmp/other.duckdb' as other",  # ATTACH
        "copy score_snapshots to '/tmp/leak.csv'",  # COPY
        "install httpfs",  # INSTALL
        "load httpfs",  # LOAD
        "pragma enable_profiling",  # PRAGMA
        "set enable_external_access = true",  # SET
        "checkpoint",  # maintenance
        "export database '/tmp/dump'",  # EXPORT
        "select 1; drop table runs",  # a second statement
    ],
)
def test_sql_is_read_only(warehouse: Settings, statement: str) -> None:
    before = warehouse.database_path().read_bytes()
    result = sesame("sql", statement, "--warehouse", str(warehouse.warehouse))
    assert result.returncode == 2
    keyword = statement.split()[0].upper()
    expected = "exactly one statement" if ";" in statement else f"read-only: {keyword}"
    assert expected in result.stderr, result.stderr
    assert ";" in statement or "is refused" in result.stderr
    assert warehouse.database_path().read_bytes() == before


def test_sql_names_the_kind_of_a_write_hidden_behind_with(warehouse: Settings) -> None:
    before = warehouse.database_path().read_bytes()
    query = "with x as (select 1) delete from runs"
    result = sesame("sql", query, "--warehouse", str(warehouse.warehouse))
    assert result.returncode == 2
    assert "WITH (a DELETE statement) is refused" in result.stderr
    assert "use SELECT, WITH" not in result.stderr  # WITH is not offered as if it were allowed
    assert warehouse.database_path().read_bytes() == before


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("selct 1", "does not parse"),  # a typo
        ("select * from no_such_table", "the query failed"),  # an unknown table
        ("select no_such_column from runs", "the query failed"),
    ],
)
def test_a_mistake_in_the_query_is_a_usage_error(
    warehouse: Settings, query: str, says: str
) -> None:
    result = sesame("sql", query, "--warehouse", str(warehouse.warehouse))
    assert result.returncode == 2, result.stderr
    assert says in result.stderr and "unexpected" not in result.stderr


def test_sql_cannot_read_files_outside_the_warehouse(warehouse: Settings) -> None:
    result = sesame(
        "sql", "select * from read_csv('/etc/passwd')", "--warehouse", str(warehouse.warehouse)
    )
    assert result.returncode == 2
    assert "reads only the warehouse" in result.stderr and "Permission" in result.stderr


def test_sql_prints_data_as_data(warehouse: Settings) -> None:
    # Rich markup, a terminal escape sequence and a right-to-left override in the values
    query = (
        "select '[/x] [bold]not bold' as markup, 'red ' || chr(27) || '[31mtext' as escape, "
        "'abc' || chr(8238) || 'fed' as bidi"
    )
    result = sesame("sql", query, "--warehouse", str(warehouse.warehouse))
    assert result.returncode == 0, result.stderr
    assert "[/x] [bold]not bold" in result.stdout  # printed as typed, never interpreted
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\u001b[31mtext" in result.stdout and "abc\\u202efed" in result.stdout


def test_sql_without_a_warehouse_says_how_to_make_one(tmp_path: Path) -> None:
    result = sesame("sql", "select 1", "--warehouse", str(tmp_path / "none"))
    assert result.returncode == 2
    assert "sesame nightly" in result.stderr


def test_explain_shows_score_reasons_and_history(warehouse: Settings) -> None:
    result = sesame("explain", "2", "--warehouse", str(warehouse.warehouse))
    assert result.returncode == 0, result.stderr
    row = pipeline.snapshot(warehouse, D)[2]
    assert f"score: {row['score']}" in result.stdout
    assert row["reasons"]
    for code in row["reasons"]:  # each reason in plain words
        assert REASON_TEXT[code] in result.stdout
    assert "2026-05-31" in result.stdout and "2026-06-30" in result.stdout  # history
    assert "overdue_days" in result.stdout  # points by characteristic


def test_explain_as_of_an_earlier_date(warehouse: Settings) -> None:
    result = sesame(
        "explain", "1", "--as-of", "2026-06-15", "--warehouse", str(warehouse.warehouse)
    )
    assert result.returncode == 0, result.stderr
    assert "on 2026-05-31" in result.stdout
    # which date is shown, and why
    assert "no snapshot on 2026-06-15: the latest before it, 2026-05-31, is shown" in result.stdout


def test_explain_unknown_user_is_a_clear_error(warehouse: Settings) -> None:
    result = sesame("explain", "999", "--warehouse", str(warehouse.warehouse))
    assert result.returncode == 2
    assert "user 999 has no snapshot" in result.stderr


def test_report_of_a_date_without_snapshots_says_what_to_run(warehouse: Settings) -> None:
    result = sesame("report", "--as-of", "2026-06-15", "--warehouse", str(warehouse.warehouse))
    assert result.returncode == 2, result.stderr
    assert "the warehouse has no snapshots for 2026-06-15" in result.stderr
    assert "sesame nightly --as-of 2026-06-15" in result.stderr


def test_today_is_refused_as_a_snapshot_date(warehouse: Settings) -> None:
    today = date.today().isoformat()
    for command in (["nightly", "--as-of", today], ["backfill", "--start", today, "--end", today]):
        result = sesame(*command, "--warehouse", str(warehouse.warehouse))
        assert result.returncode == 2, result.stderr
        assert f"{today} is today: a snapshot needs the day to be over" in result.stderr


def test_bad_date_is_a_usage_error(warehouse: Settings) -> None:
    result = sesame(
        "explain", "1", "--as-of", "30/06/2026", "--warehouse", str(warehouse.warehouse)
    )
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr


def test_duckdb_cli_opens_the_warehouse_read_only(warehouse: Settings) -> None:
    cli = shutil.which("duckdb", path=str(Path(sys.executable).parent))
    assert cli is not None, "the duckdb CLI (duckdb-cli package) is part of the dev install"
    result = subprocess.run(
        [
            cli,
            "-readonly",
            "-csv",
            str(warehouse.database_path()),
            "-c",
            "select count(*) from score_snapshots",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "4"


def test_generate_writes_private_exports(tmp_path: Path) -> None:
    out = tmp_path / "exports"
    result = sesame(
        "generate", "--out", str(out), "--users", "50", "--months", "3", "--end", "2026-06-30"
    )
    assert result.returncode == 0, result.stderr
    assert "rows/s" in result.stdout
    files = list(out.rglob("*.parquet"))
    tables = {f.relative_to(out).parts[0] for f in files}
    assert len(tables - {"_truth"}) == 11  # one folder per contract table
    assert "_truth" in tables  # and the generator's truth beside them
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)


def test_generate_grows_a_folder_night_by_night(tmp_path: Path) -> None:
    out = tmp_path / "exports"
    first = sesame(
        "generate", "--out", str(out), "--users", "60", "--months", "3",
        "--end", "2026-06-30", "--as-of", "2026-06-29",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "as they stood at the end of 2026-06-29" in first.stdout
    assert f"grow them night by night: sesame generate --out {out} --next-day" in first.stdout
    grown = sesame("generate", "--out", str(out), "--next-day")
    assert grown.returncode == 0, grown.stderr
    assert grown.stderr.splitlines()[-1].endswith("generated 60 of 60 users")  # progress
    assert "New files of 2026-06-30" in grown.stdout
    assert f"{out} now shows the end of 2026-06-30 (its last day)" in grown.stdout
    assert "corrected rows" in grown.stdout
    assert f"sesame nightly --input {out} --as-of 2026-06-30" in grown.stdout
    updates = list(out.rglob("update-2026-06-30-*.parquet"))
    assert updates
    assert all(f.stat().st_mode & 0o077 == 0 for f in [*updates, *out.rglob("*.json")])
    done = sesame("generate", "--out", str(out), "--next-day")
    assert done.returncode == 2
    assert "already shows the last day of its generated world, 2026-06-30" in done.stderr
    mixed = sesame("generate", "--out", str(out), "--next-day", "--users", "5")
    assert mixed.returncode == 2
    assert "leave out --users" in mixed.stderr
    after = sesame("generate", "--out", str(out), "--users", "5", "--end", "2026-06-30",
                   "--as-of", "2026-07-01")  # fmt: skip
    assert after.returncode == 2
    assert "--as-of 2026-07-01 is after --end 2026-06-30" in after.stderr


def test_logs_name_no_personal_data_beyond_user_ids(settings: Settings, exports: Exports) -> None:
    secret = "Secret-Court-of-Ms-Zhang-4711"
    for user_id in range(1, 31):
        exports.active_user(user_id, D)
        exports.negative(user_id, "life", at(date(2025, 3, 5)))
    record = exports.negative(1, "legal", at(date(2026, 1, 5)))
    exports.rows["negative_records"][-1]["source"] = secret
    bad = exports.rows["negative_records"][-1] | {"record_id": record + 1, "user_id": 999}
    exports.rows["negative_records"].append(bad)  # quarantined: an unknown user
    exports.write(settings.input)
    result = sesame(
        "nightly",
        "--verbose",
        "--as-of",
        str(D),
        "--input",
        str(settings.input),
        "--warehouse",
        str(settings.warehouse),
    )
    assert result.returncode == 0, result.stderr
    quarantined = pipeline.query(settings, "select row_json from quarantine")
    assert secret in quarantined.item()  # the value is in the warehouse, for the analysts
    assert secret not in result.stdout + result.stderr  # but never in the logs
    assert "ingested negative_records" in result.stderr


# ------------------------------------------------------------------ explain --target (issue 12)


def test_explain_without_target_prints_no_plan(warehouse: Settings) -> None:
    result = sesame("explain", "2", "--warehouse", str(warehouse.warehouse))
    assert result.returncode == 0, result.stderr
    assert "Plan to reach" not in result.stdout


def test_explain_target_lists_the_actions_that_reach_it(warehouse: Settings) -> None:
    from sesame.transforms.actions import best_actions
    from sesame.transforms.scorecard import load_scorecard

    features = pipeline.query(
        warehouse,
        "select * from dimension_aggregates where user_id = 2 and snapshot_date = $d",
        {"d": D},
    )
    gains = best_actions(features.lazy(), card=load_scorecard()).collect().row(0, named=True)
    target = gains["current_score"] + 1  # the biggest single action reaches it
    result = sesame(
        "explain", "2", "--target", str(target), "--warehouse", str(warehouse.warehouse)
    )
    assert result.returncode == 0, result.stderr
    plan = result.stdout.split(f"Plan to reach {target}", 1)[1]
    assert f"1 action reaches {target} (1 points to go from {gains['current_score']})" in plan
    assert f"1. {gains['action']} ({gains['reason_code']}): +{gains['points_gained']} alone" in plan
    assert f"new score after the plan: {gains['new_score']}" in plan
    assert "platform_violation" in plan  # the risk event: named as time-bound


def test_explain_target_at_the_score_is_already_reached(warehouse: Settings) -> None:
    score = pipeline.scores(warehouse, D)[1]
    result = sesame("explain", "1", "--target", str(score), "--warehouse", str(warehouse.warehouse))
    assert result.returncode == 0, result.stderr
    assert f"already reached: the score is {score} (target {score})" in result.stdout


def test_explain_target_only_time_reaches_says_when(settings: Settings, exports: Exports) -> None:
    from datetime import datetime

    from sesame.explain import with_every_action
    from sesame.transforms.scorecard import load_scorecard, score_features

    # a life record resolved 2026-03-10 counts until 2028-03-10 (contract section 2)
    exports.active_user(3, D, registered=date(2010, 1, 1))
    exports.negative(3, "life", at(date(2025, 11, 2)), resolved=datetime(2026, 3, 10, 12))
    pipeline.run(settings, [D], exports)
    features = pipeline.query(settings, "select * from dimension_aggregates where user_id = 3")
    card = load_scorecard()
    best = score_features(with_every_action(features.lazy(), card=card), card=card).collect()
    target = int(best["score"][0]) + 1
    result = sesame("explain", "3", "--target", str(target), "--warehouse", str(settings.warehouse))
    assert result.returncode == 0, result.stderr
    assert (
        f"no set of actions reaches {target} now (every action taken: {target - 1}); with every "
        "action taken, time alone reaches it by 2028-03-31" in result.stdout
    )
    assert "negative_record_life +" in result.stdout
    assert "time-bound factors (only time changes them):" in result.stdout


@pytest.mark.parametrize("target", ["349", "951"])  # the score's range is 350..950
def test_explain_target_outside_the_score_range_is_a_usage_error(
    warehouse: Settings, target: str
) -> None:
    result = sesame("explain", "1", "--target", target, "--warehouse", str(warehouse.warehouse))
    assert result.returncode == 2
    assert "--target" in result.stderr


def test_piped_output_is_not_wrapped_and_each_event_has_its_time(warehouse: Settings) -> None:
    # a log file or a pipe, as under cron: no COLUMNS, no terminal
    plain = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"NO_COLOR": "1"}
    wide = "x" * 150
    query = (
        f"select user_id, '{wide}' as wide, 0.1::double + 0.2::double as total, 1e-7 as tiny "
        "from score_snapshots order by user_id limit 1"
    )
    where = ["--warehouse", str(warehouse.warehouse)]
    command = [sys.executable, "-m", "sesame"]
    shown = subprocess.run(
        [*command, "sql", query, *where], capture_output=True, text=True, env=plain, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    (row,) = [line for line in shown.stdout.splitlines() if wide in line]  # one line, not folded
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells == ["1", wide, "0.3", "1.000e-07"]  # floats rounded for reading
    # the file keeps every digit
    out = warehouse.warehouse.parent / "out.csv"
    written = subprocess.run(
        [*command, "sql", query, *where, "--output", str(out)],
        capture_output=True,
        text=True,
        env=plain,
        timeout=120,
    )
    assert written.returncode == 0, written.stderr
    assert "0.30000000000000004" in out.read_text()
    # progress: one event per line, each starting with its ISO time (a terminal gets a bar)
    generated = subprocess.run(
        [*command, "generate", "--out", str(out.parent / "g"), "--users", "300", "--months", "13"],
        capture_output=True,
        text=True,
        env=plain,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stderr
    events = generated.stderr.splitlines()
    assert events and events[-1].endswith("generated 300 of 300 users"), generated.stderr
    for line in events:
        when, _, message = line.partition(" ")
        assert datetime.fromisoformat(when).tzinfo is not None, line
        assert message.strip(), line


def test_runs_shows_the_history_newest_first_with_unpublished_runs(warehouse: Settings) -> None:
    from sesame.runs import RunSummary, insert_runs, write_run_log
    from sesame.warehouse import building, warehouse_lock

    def summary(run_id: str, day: date, seconds: float | None) -> RunSummary:
        started = datetime(2026, 7, 1, 2, 0) + timedelta(days=(day - D).days)
        finished = None if seconds is None else started + timedelta(seconds=seconds)
        return RunSummary(
            run_id, "nightly", day, str(warehouse.warehouse), "card", started, finished
        )

    with warehouse_lock(warehouse), building(warehouse, "test-runs") as con:
        insert_runs(con, [summary("run-published", D, 42.0).row("succeeded")])
    failed = summary("run-failed", D + timedelta(days=1), 3.5)
    write_run_log(warehouse, failed.row("failed", "table bills, file part-1.parquet: bad"))
    where = ("--warehouse", str(warehouse.warehouse))

    def lines(*args: str) -> list[str]:
        result = sesame("runs", *where, *args)
        assert result.returncode == 0, result.stderr
        return [line for line in result.stdout.splitlines() if "nightly" in line]

    newest, older = lines()[:2]
    assert "failed" in newest and "3.5" in newest and "part-1.parquet" in newest
    assert "succeeded" in older and "42.0" in older and str(D) in older
    assert len(lines("--last", "1")) == 1
    # a run going now: its record says running, and it holds the lock
    write_run_log(warehouse, summary("run-now", D + timedelta(days=2), None).row("running"))
    with warehouse_lock(warehouse):
        assert "running" in lines()[0]
    # once no process holds the lock, that record is a run that was killed
    assert "interrupted" in lines()[0] and "killed" in lines()[0]


def test_version_names_the_contract_and_the_champion_card() -> None:
    from sesame import __version__
    from sesame.transforms.scorecard import load_scorecard

    result = sesame("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"sesame {__version__}, data contract v2, champion card {load_scorecard().model_version}"
    )


def test_explain_says_what_changed_since_the_previous_snapshot(warehouse: Settings) -> None:
    from sesame.reports import build_reports
    from sesame.transforms.scorecard import load_scorecard
    from sesame.warehouse import building, warehouse_lock

    with warehouse_lock(warehouse), building(warehouse, "test-reports") as con:
        build_reports(con, warehouse, load_scorecard(), D)  # report_score_drops for D
    before = pipeline.snapshot(warehouse, date(2026, 5, 31))[2]
    now = pipeline.snapshot(warehouse, D)[2]
    change = now["score"] - before["score"]
    assert change < 0  # user 2's bill of 1 June is unpaid at D

    shown = sesame("explain", "2", "--format", "json", "--warehouse", str(warehouse.warehouse))
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    since = document["since"]
    assert since["previous_date"] == "2026-05-31" and since["score_change"] == change
    # the points that moved sum to the change, and the overdue bill is named as the new event
    assert sum(row["points_change"] for row in since["point_changes"]) == change
    assert "overdue_payments" in {row["reason_code"] for row in since["point_changes"]}
    bills = pipeline.query(
        warehouse, "select bill_id from stg_bills where user_id = 2 and due_date = '2026-06-01'"
    )
    assert since["new_events"]["overdue bills"] == bills["bill_id"].to_list()
    assert document["snapshot"]["reasons"] == list(now["reasons"])  # codes, for a program

    text = sesame("explain", "2", "--warehouse", str(warehouse.warehouse))
    assert (
        f"Since the previous snapshot (2026-05-31): score {before['score']} -> {now['score']} "
        f"({change:+d})"
    ) in text.stdout
    assert "new events since then: 1 overdue bills" in text.stdout
    first = sesame("explain", "2", "--as-of", "2026-05-31", "--warehouse", str(warehouse.warehouse))
    assert "this is the user's first snapshot" in first.stdout


def test_describe_prints_the_tables_and_a_tables_columns(warehouse: Settings) -> None:
    from sesame.catalog import column_comment, table_comment, write_comments
    from sesame.transforms.scorecard import load_scorecard
    from sesame.warehouse import building, warehouse_lock

    with warehouse_lock(warehouse), building(warehouse, "test-comments") as con:
        assert write_comments(con, load_scorecard()) == []
    where = ("--warehouse", str(warehouse.warehouse))
    listed = sesame("describe", *where)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "│ score_snapshots " in line)
    assert str(table_comment("score_snapshots"))[:40] in row
    columns = sesame("describe", "score_snapshots", *where)
    assert columns.returncode == 0, columns.stderr
    tier = next(line for line in columns.stdout.splitlines() if "│ tier " in line)
    assert "VARCHAR" in tier and str(column_comment("score_snapshots", "tier"))[:40] in tier
    unknown = sesame("describe", "score_snapshot", *where)
    assert unknown.returncode == 2
    assert "no table 'score_snapshot'; did you mean score_snapshots" in unknown.stderr


def test_shell_completion_completes_the_commands() -> None:
    command = str(Path(sys.executable).parent / "sesame")  # the installed command
    # the shell named, not detected from the parent processes (a scheduler's or a CI runner's
    # process tree may have no shell in it: detection then fails)
    named = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = subprocess.run(
        [command, "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env=named,
        timeout=120,
    )
    assert script.returncode == 0 and "_sesame_completion" in script.stdout, script
    env = {**os.environ, "_SESAME_COMPLETE": "complete_bash", "COMP_WORDS": "sesame re"}
    done = subprocess.run(
        [command], capture_output=True, text=True, env=env | {"COMP_CWORD": "1"}, timeout=120
    )
    assert done.stdout.split() == ["report", "restore", "rebuild"], done


@pytest.mark.parametrize("verbose", [False, True])
def test_prefects_shutdown_noise_stays_out_of_the_output_unless_verbose(verbose: bool) -> None:
    # Prefect's events worker warns "Still processing items" when a busy machine ends a run with
    # events queued; it logs under its class name, outside PREFECT_LOGGING_LEVEL
    script = (
        "import logging, sys\n"
        "from sesame.flows.cli_common import log_progress\n"
        "logging.basicConfig(stream=sys.stderr)\n"
        f"log_progress(quiet=False, verbose={verbose})\n"
        "logging.getLogger('EventsWorker').warning('Still processing items: 1 items remaining')\n"
        "logging.getLogger('APILogWorker').warning('Still processing items: 2 items remaining')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert ("Still processing items" in done.stderr) is verbose, done.stderr
