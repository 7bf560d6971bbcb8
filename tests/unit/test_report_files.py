"""Report files are written a batch at a time: the files are those of the whole report written at
once, whatever the batch size, and a report with no rows is its header."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from sesame import reports
from sesame.reports import write_report_table

ROWS = """
select * from (values
    (1, 'plain', [1, 2], 0.5),
    (2, '=1+1', [], -1.25),
    (3, '-5', [3], null),
    (4, '@cmd', null, 2.0),
    (5, 'a, "quoted" text', [4, 5, 6], 1e-7)
) as rows(user_id, note, codes, change)
"""


@pytest.mark.parametrize("batch_rows", [1, 2, 100])
def test_batched_files_hold_every_row_as_written_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_rows: int
) -> None:
    monkeypatch.setattr(reports, "EXPORT_BATCH_ROWS", batch_rows)
    con = duckdb.connect()
    write_report_table(con.sql(ROWS + " order by user_id"), tmp_path, "report_example")
    with (tmp_path / "report_example.csv").open(newline="") as text:
        rows = list(csv.reader(text))
    assert rows[0] == ["user_id", "note", "codes", "change"]
    assert len(rows) == 6  # one header, whatever the batches
    got = {int(r[0]): r[1:] for r in rows[1:]}
    # worked out by hand: formulas get an apostrophe, lists are JSON, a null is empty
    assert got[1][0] == "plain" and json.loads(got[1][1]) == [1, 2]
    assert got[2][0] == "'=1+1" and json.loads(got[2][1]) == []
    assert got[3][0] == "'-5" and got[3][2] == ""
    assert got[4][0] == "'@cmd" and got[4][1] == ""
    assert got[5][0] == 'a, "quoted" text' and json.loads(got[5][1]) == [4, 5, 6]
    table = pq.read_table(tmp_path / "report_example.parquet")
    assert table.to_pylist() == con.sql(ROWS + " order by user_id").arrow().read_all().to_pylist()


def test_a_report_without_rows_is_its_header(tmp_path: Path) -> None:
    con = duckdb.connect()
    write_report_table(con.sql(ROWS + " where user_id > 99"), tmp_path, "report_empty")
    assert (tmp_path / "report_empty.csv").read_text() == "user_id,note,codes,change\n"
    table = pq.read_table(tmp_path / "report_empty.parquet")
    assert table.num_rows == 0 and table.column_names == ["user_id", "note", "codes", "change"]
