"""The validation reports on a generated population, against computations written here from the
exports themselves: outcomes recomputed in Polars from the bills files, Gini from rank sums, the
oracle from the generator's truth file, bands by hand. And a warehouse whose history is too short
is told so plainly."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from sesame import rules
from sesame.dates import add_months
from sesame.outcomes import performance_end
from sesame.reports import build_reports
from sesame.settings import Settings
from sesame.synthetic import generate_exports
from sesame.transforms.scorecard import load_scorecard
from sesame.warehouse import building, connect_read_only, warehouse_lock
from tests import pipeline
from tests.builders import Exports

END = date(2026, 10, 31)
S = date(2025, 10, 31)  # the latest month-end whose window has closed on END


def rank_sum_gini(scores: pl.Series, bad: pl.Series) -> float:
    """Gini = 2 AUC - 1 with AUC from the Mann-Whitney rank sum of the goods (average ranks for
    ties): a higher score should mean a good."""
    frame = pl.DataFrame({"score": scores, "bad": bad}).with_columns(
        pl.col("score").rank("average").alias("rank")
    )
    goods = frame.filter(pl.col("bad") == 0)
    n_good, n_bad = goods.height, frame.height - goods.height
    auc = (goods["rank"].sum() - n_good * (n_good + 1) / 2) / (n_good * n_bad)
    return 2 * auc - 1


def outcomes_from_exports(exports: Path) -> pl.DataFrame:
    """The contract's outcome at S for every user with a credit bill, from the bills files:
    (user_id, excluded, worst days past due in the window). Repairs are left out: a repair needs
    the bill paid within 30 days, so it can move a user between good and indeterminate only."""
    bills = pl.read_parquet(exports / "bills" / "*.parquet").filter(
        pl.col("product").is_in(list(rules.CREDIT_PRODUCTS))
    )
    end_of = lambda day: datetime.combine(day + timedelta(days=1), datetime.min.time())  # noqa: E731
    paid_by = lambda day: (  # noqa: E731
        (pl.col("paid_at") < end_of(day)) & (pl.col("amount_paid") >= pl.col("amount_due"))
    ).fill_null(False)
    excluded = (
        bills.filter(
            (pl.col("due_date") <= S - timedelta(days=rules.BAD_DAYS_PAST_DUE)) & ~paid_by(S)
        )
        .select("user_id")
        .unique()
    )
    last_due, end = add_months(S, rules.OUTCOME_DUE_MONTHS), performance_end(S)
    window = bills.filter((pl.col("due_date") > S) & (pl.col("due_date") <= last_due))
    late = window.with_columns(
        pl.when(paid_by(end))
        .then((pl.col("paid_at").dt.date() - pl.col("due_date")).dt.total_days().clip(0))
        .otherwise((pl.lit(end) - pl.col("due_date")).dt.total_days())
        .alias("days_past_due")
    )
    worst = late.group_by("user_id").agg(pl.col("days_past_due").max().alias("worst"))
    return worst.join(
        excluded.with_columns(pl.lit(True).alias("excluded")),
        on="user_id",
        how="full",
        coalesce=True,
    ).with_columns(pl.col("excluded").fill_null(False), pl.col("worst").fill_null(0))


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("validation")
    settings = Settings(warehouse=root / "warehouse", input=root / "exports")
    generate_exports(settings.input, users=3000, months=26, seed=5, end=END)
    pipeline.run(settings, [S, END])
    card = load_scorecard()
    with warehouse_lock(settings), building(settings, "validation") as con:
        summary = build_reports(con, settings, card, END)
    read = connect_read_only(settings)
    try:
        tables = {
            name: read.sql(f"select * from {name}").pl()
            for name in (
                "report_model_performance",
                "report_score_bands",
                "report_characteristic_stability",
            )
        }
        scores = read.sql(
            "select user_id, score from score_snapshots "
            "where snapshot_date = $s and score is not null",
            params={"s": S},
        ).pl()
    finally:
        read.close()
    return {"settings": settings, "summary": summary, "scores": scores, **tables}


def test_outcomes_bads_and_gini_agree_with_the_exports(validated: dict[str, Any]) -> None:
    row = validated["report_model_performance"].row(0, named=True)
    assert row["snapshot_date"] == S and row["status"] == "ok"
    independent = outcomes_from_exports(validated["settings"].input)
    sample = (
        validated["scores"]
        .join(independent, on="user_id", how="left")
        .with_columns(pl.col("excluded").fill_null(False), pl.col("worst").fill_null(0))
        .filter(~pl.col("excluded"))
    )
    bads = sample.filter(pl.col("worst") >= rules.BAD_DAYS_PAST_DUE)
    ranked = sample.filter(
        (pl.col("worst") >= rules.BAD_DAYS_PAST_DUE)
        | (pl.col("worst") < rules.INDETERMINATE_DAYS_PAST_DUE)
    ).with_columns((pl.col("worst") >= rules.BAD_DAYS_PAST_DUE).cast(pl.Int8).alias("bad"))
    assert row["bads"] == bads.height > 20
    # repairs can only turn an indeterminate (30 days late, repaired) into a good
    assert 0 <= row["users"] - ranked.height <= 5
    if row["users"] == ranked.height:
        assert row["gini"] == pytest.approx(rank_sum_gini(ranked["score"], ranked["bad"]))
    else:
        assert row["gini"] == pytest.approx(rank_sum_gini(ranked["score"], ranked["bad"]), abs=0.01)
    assert row["bad_rate"] == pytest.approx(row["bads"] / row["users"])
    assert row["gini_low"] < row["gini"] < row["gini_high"]
    assert row["gini"] > 0.2  # the score ranks the generator's risk


def test_the_oracle_gini_is_the_truth_file_ranking_the_same_outcomes(
    validated: dict[str, Any],
) -> None:
    row = validated["report_model_performance"].row(0, named=True)
    truth = pl.read_parquet(validated["settings"].input / "_truth" / "user_months" / "*.parquet")
    independent = outcomes_from_exports(validated["settings"].input)
    sample = (
        validated["scores"]
        .join(independent, on="user_id", how="left")
        .with_columns(pl.col("excluded").fill_null(False), pl.col("worst").fill_null(0))
        .filter(
            ~pl.col("excluded")
            & (
                (pl.col("worst") >= rules.BAD_DAYS_PAST_DUE)
                | (pl.col("worst") < rules.INDETERMINATE_DAYS_PAST_DUE)
            )
        )
        .with_columns((pl.col("worst") >= rules.BAD_DAYS_PAST_DUE).cast(pl.Int8).alias("bad"))
        .join(truth.filter(pl.col("month_end") == S), on="user_id")
    )
    oracle = rank_sum_gini(-sample["pd_12m"], sample["bad"])
    assert row["oracle_gini"] == pytest.approx(oracle, abs=0.01)
    assert row["oracle_gini"] > row["gini"]  # the truth ranks better than any score of the data


def test_bands_count_the_sample_by_50_points(validated: dict[str, Any]) -> None:
    bands = validated["report_score_bands"].sort("band_low")
    row = validated["report_model_performance"].row(0, named=True)
    assert bands["users"].sum() == row["users"]
    assert bands["bads"].sum() == row["bads"]
    assert (bands["band_low"] % 50 == 0).all()
    for band in bands.iter_rows(named=True):
        assert band["bad_rate"] == pytest.approx(band["bads"] / band["users"])
    in_band = validated["scores"].filter((pl.col("score") // 50) * 50 == bands["band_low"][0])
    assert bands["users"][0] <= in_band.height  # the lowest band holds at most its scored users


def test_every_characteristic_has_its_stability(validated: dict[str, Any]) -> None:
    stability = validated["report_characteristic_stability"]
    card = load_scorecard()
    assert set(stability["characteristic"]) == {c.name for c in card.characteristics}
    assert stability["csi_vs_snapshot"].is_not_null().all()
    assert (stability["csi_vs_snapshot"] >= 0).all()


def test_a_history_too_short_is_said_plainly(tmp_path: Path) -> None:
    settings = Settings(warehouse=tmp_path / "warehouse", input=tmp_path / "exports")
    exports = Exports()
    for user_id in range(1, 6):
        exports.active_user(user_id, END)
    pipeline.run(settings, [END], exports)
    with warehouse_lock(settings), building(settings, "short") as con:
        summary = build_reports(con, settings, load_scorecard(), END)
    assert summary.rows["report_model_performance"] == 1
    row = pipeline.query(settings, "select * from report_model_performance").row(0, named=True)
    assert row["snapshot_date"] == S
    assert row["users"] is None and row["gini"] is None
    assert f"no snapshot of {S}" in row["status"]


def test_the_outcomes_of_s_are_kept_and_reused_until_their_inputs_change(
    validated: dict[str, Any], tmp_path: Path
) -> None:
    from sesame.outcomes import materialize_outcomes, performance_end
    from sesame.validation import _outcomes
    from sesame.warehouse import configure

    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(validated["settings"].database_path().read_bytes())
    import duckdb

    con = duckdb.connect(str(copy))
    try:
        configure(con, validated["settings"], tmp_path)
        first = _outcomes(con, S, keep=True).sort("user_id")
        stored = con.sql("select count(*) from validation_outcomes").fetchall()[0][0]
        assert stored == first.height > 0
        # a stored outcome tampered with, inputs unchanged: the next night reads the stored rows
        victim = first.filter(pl.col("outcome") == "good")["user_id"][0]
        con.execute(
            "update validation_outcomes set outcome = 'bad' where user_id = $u", {"u": victim}
        )
        reused = _outcomes(con, S, keep=True)
        assert reused.filter(pl.col("user_id") == victim)["outcome"][0] == "bad"
        # the same bills delivered again (another ingest), and a payment after S's window of a
        # bill due in it: nothing the outcomes read as the window ends, still the stored rows
        window = {"s": S, "end": performance_end(S)}
        con.execute(
            "update stg_bills set ingest_run_id = 'delivered-again' where due_date <= $end",
            {"end": window["end"]},
        )
        con.execute(
            "update stg_bills set paid_at = $end + interval 40 day, amount_paid = amount_due "
            "where bill_id = (select min(bill_id) from stg_bills where due_date > $s "
            "and due_date <= $end and paid_at is null)",
            window,
        )
        assert (
            _outcomes(con, S, keep=True).filter(pl.col("user_id") == victim)["outcome"][0] == "bad"
        )
        late = materialize_outcomes(con, S)  # and computed afresh, they are the first ones
        fresh = con.sql(f"select user_id, outcome from {late} order by user_id").pl()
        assert fresh.equals(first.select("user_id", "outcome"))
        # a correction of a bill due in S's window: the outcomes are computed again
        con.execute(
            "update stg_bills set amount_due = amount_due + 1 where bill_id = "
            "(select min(bill_id) from stg_bills where due_date > $s and user_id <> $victim)",
            {"s": S, "victim": victim},
        )
        again = _outcomes(con, S, keep=True).sort("user_id")
        assert again.filter(pl.col("user_id") == victim)["outcome"][0] == "good"
        computed = materialize_outcomes(con, S)
        expected = con.sql(f"select user_id, outcome from {computed} order by user_id").pl()
        assert again.select("user_id", "outcome").equals(expected)
    finally:
        con.close()


def test_a_version_in_both_snapshot_tables_is_validated_once(
    validated: dict[str, Any], tmp_path: Path
) -> None:
    """A challenger card equal to the champion (or one promoted since) leaves the champion's
    version in challenger_snapshots too: one row per version, so the report's order is a key."""
    import duckdb

    from sesame.validation import validate
    from sesame.warehouse import configure

    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(validated["settings"].database_path().read_bytes())
    con = duckdb.connect(str(copy))
    try:
        configure(con, validated["settings"], tmp_path)
        con.execute(
            "insert into challenger_snapshots by name "
            "select * from score_snapshots where snapshot_date = $s",
            {"s": S},
        )
        card = load_scorecard()
        result = validate(con, validated["settings"], [card], END)
    finally:
        con.close()
    versions = [row["model_version"] for row in result.performance]
    assert versions == [card.model_version]
    expected = validated["report_model_performance"]
    assert result.performance[0]["gini"] == pytest.approx(expected["gini"][0])
    bands = {row["model_version"] for row in result.bands}
    assert bands == {card.model_version}
    assert len(result.bands) == validated["report_score_bands"].height
