"""`make bench-model`: does the champion rank risk? The model-quality figures of issue 12, side
by side, on a generated population the card was not fitted on.

It generates (once, cached) a population with its truth, runs `sesame nightly` for D with the
hand-set v1 card as the challenger, and prints, from the warehouse and `sesame validate`'s own
computation (sesame.validation): each model's out-of-time Gini at S (the latest month-end whose
12-month window has closed by D) with its bootstrap interval, the oracle's Gini (the generator's
truth) and the champion's share of it, the champion's fitted Gini against a default optbinning
scorecard on the same data and against gradient-boosted trees on the same characteristics (is
the gap to the oracle the card's form or the characteristics? both from the card's metadata:
the fit population, out of time), bad rate
and predicted bad rate by 50-point band where a band holds 200+ users, and the share of scored
users whose first reason is each code. Every target says met or MISSED.
"""

from __future__ import annotations

import datetime
import itertools
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from sesame.scoring import challenger_cards
from sesame.settings import Settings
from sesame.transforms.scorecard import HAND_SET_SCORECARD, load_scorecard
from sesame.validation import validate
from sesame.warehouse import connect_read_only

BIN = Path(sys.executable).parent
DATA = Path(__file__).resolve().parent / "data"
MIN_BAND_USERS = 200  # bands judged for rank order and calibration (issue 12)
CALIBRATION_TOLERANCE = 0.20  # predicted within 20% (relative) of the observed bad rate
ORACLE_SHARE = 0.90  # the champion's Gini at least 90% of the oracle's
FIRST_REASON_SHARE = 0.40  # no code the first reason of more than 40% of scored users

console = Console(stderr=True)
app = typer.Typer(add_completion=False)


def run(*args: str) -> None:
    console.log(" ".join(args))
    subprocess.run([str(BIN / "sesame"), *args], check=True, env=os.environ)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


@app.command()
def main(
    users: Annotated[int, typer.Option(min=1000, help="users to generate")] = 50_000,
    months: Annotated[int, typer.Option(min=26, help="months of history")] = 36,
    seed: Annotated[int, typer.Option(help="generator seed (the card was fitted on 11)")] = 12,
    as_of: Annotated[str, typer.Option(help="D")] = "2026-10-31",
) -> None:
    """Generate (cached), score with the champion and v1 as challenger, print the figures."""
    day = datetime.date.fromisoformat(as_of)
    exports = DATA / f"model-{users}u-{months}m-seed{seed}-{day}"
    warehouse = exports / "warehouse"
    if not (exports / "users").is_dir():
        run(
            "generate", "--out", str(exports), "--users", str(users), "--months", str(months),
            "--seed", str(seed), "--end", as_of,
        )  # fmt: skip
    champion = load_scorecard()
    settings = Settings(warehouse=warehouse, input=exports, challenger_card=HAND_SET_SCORECARD)
    if not settings.database_path().exists():
        run(
            "nightly", "--as-of", as_of, "--input", str(exports), "--warehouse", str(warehouse),
            "--challenger", str(HAND_SET_SCORECARD), "--quiet",
        )  # fmt: skip
    con = connect_read_only(settings)
    try:
        result = validate(con, settings, [champion, *challenger_cards(settings)], day)
        first = con.sql(
            "select reasons[1] as code, count(*) as users from score_snapshots "
            "where snapshot_date = $d and score is not null and len(reasons) > 0 group by 1",
            params={"d": day},
        ).pl()
        scored = con.sql(
            "select count(*) from score_snapshots where snapshot_date = $d and score is not null",
            params={"d": day},
        ).fetchall()[0][0]
    finally:
        con.close()

    out = Console(width=None if sys.stdout.isatty() else 140)
    performance = Table(title=f"Out of time: scores at {result.snapshot_date}, outcomes to {day}")
    for column in ("model", "users", "bads", "Gini", "95% interval", "oracle Gini", "of oracle"):
        performance.add_column(
            column, justify="left" if column == "model" else "right", no_wrap=column == "model"
        )
    rows = {row["model_version"]: row for row in result.performance}
    for model, row in rows.items():
        share = (row["gini"] / row["oracle_gini"]) if row["oracle_gini"] else None
        performance.add_row(
            model,
            f"{row['users']:,}",
            f"{row['bads']:,}",
            f"{row['gini']:.3f}",
            f"{row['gini_low']:.3f} to {row['gini_high']:.3f}",
            "-" if row["oracle_gini"] is None else f"{row['oracle_gini']:.3f}",
            "-" if share is None else f"{share:.0%}",
        )
    out.print(performance)

    targets = Table(title="Targets (issue 12)")
    for column in ("target", "measured", "status"):
        targets.add_column(column)
    mine = rows[champion.model_version]
    if mine["oracle_gini"]:
        share = mine["gini"] / mine["oracle_gini"]
        targets.add_row(
            f"champion Gini >= {ORACLE_SHARE:.0%} of the oracle's",
            f"{mine['gini']:.3f} / {mine['oracle_gini']:.3f} = {share:.0%}",
            verdict(share >= ORACLE_SHARE),
        )
    meta = champion.metadata
    if "baseline_oot_gini" in meta:
        targets.add_row(
            "champion above a default optbinning card (fit population, out of time)",
            f"{meta['oot_gini']:.3f} vs {meta['baseline_oot_gini']:.3f} at {meta['oot_snapshot']}",
            verdict(meta["oot_gini"] > meta["baseline_oot_gini"]),
        )
    if "trees_oot_gini" in meta:  # not a target: does the card's form cost ranking?
        targets.add_row(
            "(reading the oracle target) vs gradient-boosted trees, same characteristics",
            f"{meta['oot_gini']:.3f} vs {meta['trees_oot_gini']:.3f} at {meta['oot_snapshot']}",
            "info",
        )
    bands = (
        pl.DataFrame([b for b in result.bands if b["model_version"] == champion.model_version])
        .filter(pl.col("users") >= MIN_BAND_USERS)
        .sort("band_low")
    )
    falls = all(
        higher["bad_rate"] < lower["bad_rate"]
        for lower, higher in itertools.pairwise(bands.to_dicts())
    )
    targets.add_row(
        f"bad rate falls band to band (bands of {MIN_BAND_USERS}+ users)",
        ", ".join(f"{b['band_low']}: {b['bad_rate']:.1%}" for b in bands.to_dicts()),
        verdict(falls),
    )
    off = [
        b
        for b in bands.to_dicts()
        if b["predicted_bad_rate"] is None
        or abs(b["predicted_bad_rate"] - b["bad_rate"]) > CALIBRATION_TOLERANCE * b["bad_rate"]
    ]
    targets.add_row(
        f"predicted bad rate within {CALIBRATION_TOLERANCE:.0%} of observed in those bands",
        ", ".join(
            f"{b['band_low']}: {b['predicted_bad_rate'] or 0:.1%} vs {b['bad_rate']:.1%}"
            for b in bands.to_dicts()
        ),
        verdict(not off),
    )
    top = first.sort("users", descending=True).row(0, named=True) if first.height else None
    if top is not None:
        share = top["users"] / scored
        targets.add_row(
            f"no code the first reason of more than {FIRST_REASON_SHARE:.0%} of scored users",
            f"{top['code']}: {share:.1%} (of {scored:,})",
            verdict(share <= FIRST_REASON_SHARE),
        )
    out.print(targets)
    shares = Table(title=f"First reason at {day}, share of scored users")
    shares.add_column("code")
    shares.add_column("share", justify="right")
    for row in first.sort("users", descending=True).iter_rows(named=True):
        shares.add_row(row["code"], f"{row['users'] / scored:.1%}")
    out.print(shares)


if __name__ == "__main__":
    app()
