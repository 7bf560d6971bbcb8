"""The SQL models' layers, read from their `from` and `join` clauses: no model reads a layer
above its own, every table a model reads is a model's, a declared source or a frame the code
registers, and reports read only marts and sources (never staging or intermediates)."""

from __future__ import annotations

import re
from pathlib import Path

from sesame.sqlmodels import SQL_DIR

LAYERS = {"staging": 0, "intermediate": 1, "marts": 2, "reports": 3}
PREFIXES = {"stg_": "staging", "int_": "intermediate", "fct_": "marts", "report_": "reports"}
# What earlier runs published, read as of dates before D (history, like an export), and the
# state ingest keeps (user_changes: the users its files touched): sources, below every layer.
SOURCES = {
    "user_changes",
    "score_snapshots",
    "snapshot_dates",
    "dimension_aggregates",
    "repair_decisions",
    "refresh_day_scores",
    "transaction_months",
}
# Tables a model's materialization names otherwise, by the model that makes them.
MADE_AS = {"score_requests": "intermediate"}  # intermediate/int_score_requests
# Frames the Python code registers for one model: read at that model's own layer.
FRAMES = {
    "scored_requests": "marts",
    "challenger_scored": "marts",
    "stuck_users_frame": "reports",
    "score_drop_changes": "reports",
    "stuck_factors_frame": "reports",
}
NOT_TABLES = {"unnest", "read_parquet", "generate_series", "range", "lateral", "select"}


def references(sql: str) -> set[str]:
    """The tables a model reads: names after `from` or `join`, less its CTEs and aliases of
    a table read again (`join t as other`)."""
    text = re.sub(r"--[^\n]*", "", sql).lower()
    text = re.sub(r"\bdistinct\s+from\b", "", text)  # `is distinct from x` compares, reads nothing
    ctes = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s+as\s*\(", text))
    named = set(re.findall(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)", text))
    return named - ctes - NOT_TABLES


def layer_of(table: str) -> str | None:
    for prefix, layer in PREFIXES.items():
        if table.startswith(prefix):
            return layer
    if table in SOURCES:
        return "source"
    return MADE_AS.get(table) or FRAMES.get(table)


def models() -> dict[tuple[str, str], set[str]]:
    return {
        (path.parent.name, path.stem): references(path.read_text(encoding="utf-8"))
        for layer in LAYERS
        for path in sorted((SQL_DIR / layer).glob("*.sql"))
    }


def test_the_reader_finds_tables_and_skips_ctes_aliases_and_comments() -> None:
    sql = (
        "-- reads from nowhere_in_a_comment\nwith a as (select 1 from stg_users)\n"
        "select * from a inner join int_bills_status as b on true\n"
        "left join score_snapshots as before on a.x is distinct from before.x, unnest([1])"
    )
    assert references(sql) == {"stg_users", "int_bills_status", "score_snapshots"}


def test_every_model_is_in_its_layer_and_named_for_it() -> None:
    found = models()
    assert len(found) > 30
    for (layer, name), _ in found.items():
        assert layer_of(name) == layer, f"{layer}/{name}.sql: its name is not its layer's"


def test_no_model_reads_a_table_of_no_layer_or_a_layer_above_its_own() -> None:
    for (layer, name), tables in models().items():
        for table in tables:
            read = layer_of(table)
            assert read is not None, f"{layer}/{name}.sql reads {table}, of no layer or source"
            rank = -1 if read == "source" else LAYERS[read]
            assert rank <= LAYERS[layer], f"{layer}/{name}.sql reads {table} ({read}): above it"


def test_reports_read_only_marts_and_sources() -> None:
    crossings = {
        (name, table)
        for (layer, name), tables in models().items()
        if layer == "reports"
        for table in tables
        if layer_of(table) in ("staging", "intermediate")
    }
    assert crossings == set(), "a report reads below the marts: give it a mart to read"


def test_every_intermediate_and_report_model_has_its_given_rows_tests() -> None:
    tests = Path(__file__).parents[1] / "models"
    untested = [
        f"{layer}/{name}.sql"
        for (layer, name) in models()
        if layer in ("intermediate", "reports") and not (tests / f"test_{name}.py").exists()
    ]
    assert untested == [], f"add tests/models/test_<model>.py (given rows) for {untested}"
