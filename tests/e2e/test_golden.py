"""The nightly flow on the bundled sample reproduces tests/golden/ exactly.

The golden files change only through `make update-golden`, so every change of a score on the
sample shows up as a reviewed diff.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from sesame.catalog import stale_entries, tables
from sesame.flows.nightly import nightly_flow
from sesame.reports import REPORT_TABLES, report_folder
from sesame.settings import PROJECT_DIR, Settings
from sesame.warehouse import connect_read_only
from tests import pipeline

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

SAMPLE = PROJECT_DIR / "sample_data"
AS_OF = date(2026, 10, 31)  # the last day the sample covers (Makefile: SAMPLE_AS_OF)
GOLDEN = Path(__file__).resolve().parent.parent / "golden"
UPDATE = os.environ.get("SESAME_UPDATE_GOLDEN") == "1"

SNAPSHOT_SQL = """
select
    user_id, score, published_score, tier,
    round(credit_history, 4) as credit_history, round(identity, 4) as identity,
    round(capacity, 4) as capacity, round(behavior, 4) as behavior,
    round(relationships, 4) as relationships,
    array_to_string(benefits, '|') as benefits, array_to_string(reasons, '|') as reasons
from score_snapshots where snapshot_date = $as_of order by user_id
"""

HISTORY_SQL = """
select
    snapshot_date,
    count(*) as users,
    count(score) as scored,
    round(avg(score), 3) as mean_score,
    count(*) filter (where tier = 'excellent') as excellent,
    count(*) filter (where tier = 'very_good') as very_good,
    count(*) filter (where tier = 'good') as good,
    count(*) filter (where tier = 'fair') as fair,
    count(*) filter (where tier = 'poor') as poor,
    count(*) filter (where tier = 'unscorable') as unscorable
from score_snapshots group by snapshot_date order by snapshot_date
"""

OTHER_SQL = {
    "repair_decisions": "select request_id, user_id, bill_id, decision, rule "
    "from repair_decisions order by request_id",
    "quarantine": "select table_name, source_file, reason from quarantine order by all",
    "report_tier_migration": "select previous_tier, tier, users from report_tier_migration "
    "order by all",
    "report_stuck_factors": "select factor, stuck_users, round(share_stuck, 6) as share_stuck, "
    "round(share_others, 6) as share_others, round(lift, 6) as lift, "
    "round(points_gap, 6) as points_gap from report_stuck_factors order by factor",
    "report_model_performance": "select model_version, snapshot_date, status, users, bads, "
    "indeterminate, round(gini, 6) as gini, round(ks, 6) as ks, round(gini_low, 6) as gini_low, "
    "round(gini_high, 6) as gini_high, round(oracle_gini, 6) as oracle_gini, "
    "array_to_string(warnings, '|') as warnings from report_model_performance order by all",
    "report_score_bands": "select model_version, band_low, users, bads, "
    "round(predicted_bad_rate, 6) as predicted_bad_rate from report_score_bands order by all",
    "report_population": "select measure, round(mean, 4) as mean, "
    "round(baseline_mean, 4) as baseline_mean, round(psi, 6) as psi, band "
    "from report_population order by measure",
    "report_counts": "select 'score_drops' as report, count(*) as rows_ from report_score_drops "
    "union all select 'stuck_users', count(*) from report_stuck_users "
    "union all select 'tier_changes', count(*) from report_tier_changes "
    "union all select 'borrowing_risk', count(*) from report_borrowing_risk "
    "union all select 'negative_records', count(*) from report_negative_records "
    "order by report",
}


def compare(name: str, frame: pl.DataFrame) -> None:
    path = GOLDEN / f"{name}.csv"
    text = frame.write_csv()
    if UPDATE:
        path.write_text(text)
        return
    assert path.exists(), f"{path} is missing: run `make update-golden`"
    expected = path.read_text()
    if text != expected:
        got, want = text.splitlines(), expected.splitlines()
        first = next(
            (i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b),
            min(len(got), len(want)),
        )
        pytest.fail(
            f"{name} differs from {path} at line {first + 1}:\n"
            f"  golden: {want[first] if first < len(want) else '<end>'}\n"
            f"  now:    {got[first] if first < len(got) else '<end>'}\n"
            "If the change is intended, run `make update-golden` and review the diff."
        )


def test_nightly_on_the_sample_reproduces_the_golden_files(tmp_path: Path) -> None:
    settings = Settings(warehouse=tmp_path / "warehouse", input=SAMPLE)
    nightly_flow(as_of=AS_OF, settings=settings)
    compare(f"score_snapshots_{AS_OF}", pipeline.query(settings, SNAPSHOT_SQL, {"as_of": AS_OF}))
    compare("snapshot_history", pipeline.query(settings, HISTORY_SQL))
    for name, sql in OTHER_SQL.items():
        compare(name, pipeline.query(settings, sql))
    # every table and column of a real warehouse says what it holds (sesame/catalog.toml), and
    # the catalog names no column a table lacks
    con = connect_read_only(settings)
    try:
        mine = "database_name = current_database() and schema_name = 'main'"
        undocumented = con.sql(
            f"select table_name, '' from duckdb_tables() where {mine} "
            "and coalesce(comment, '') = '' union all select table_name, column_name "
            f"from duckdb_columns() where {mine} and not internal and coalesce(comment, '') = ''"
        ).fetchall()
        assert undocumented == []
        assert stale_entries(con) == []
    finally:
        con.close()
    assert_report_files_in_catalog_order(settings)


def assert_report_files_in_catalog_order(settings: Settings) -> None:
    """Every exported report's rows are in its catalog order_by, sorted again here by Polars,
    and that order is a key: no two rows tie, so the files are the same on every run."""
    folder = report_folder(settings, AS_OF)
    for name in REPORT_TABLES:
        order = tables()[name].order_by
        columns = [column for column, _ in order]
        frame = pl.read_parquet(folder / f"{name}.parquet")
        assert not frame.select(columns).is_duplicated().any(), f"{name}: {columns} is no key"
        resorted = frame.sort(columns, descending=[desc for _, desc in order], nulls_last=True)
        assert frame.equals(resorted), f"{name}.parquet is not ordered by {columns}"
        csv_keys = pl.read_csv(folder / f"{name}.csv", columns=columns, infer_schema=False)
        assert csv_keys.rows() == frame.select(pl.col(columns).cast(pl.String)).rows(), name
