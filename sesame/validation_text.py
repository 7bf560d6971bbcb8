"""``sesame validate`` as terminal tables: the models side by side, bad rate by band, the
characteristics that moved most, and the warnings. Values are printed as text, never as markup."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from sesame.validation import Validation

STABILITY_ROWS = 8  # characteristics shown, most moved first


def _number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return f"{value:,}"


def performance_table(validation: Validation) -> Table:
    """One column per model version: n, bads, bad rate, AUC, Gini (95% interval), KS, oracle."""
    table = Table(
        title=f"Model performance: scores at {validation.snapshot_date}, "
        f"outcomes to {validation.report_date}"
    )
    table.add_column("")
    for row in validation.performance:
        table.add_column(Text(row["model_version"]), justify="right")
    lines: list[tuple[str, Any]] = [
        ("users (good + bad)", lambda r: _number(r["users"])),
        ("bads", lambda r: _number(r["bads"])),
        ("indeterminate", lambda r: _number(r["indeterminate"])),
        ("bad rate", lambda r: "-" if r["bad_rate"] is None else f"{r['bad_rate']:.2%}"),
        ("AUC", lambda r: _number(r["auc"])),
        ("Gini", lambda r: _number(r["gini"])),
        (
            "Gini 95% (bootstrap)",
            lambda r: (
                "-" if r["gini_low"] is None else f"{r['gini_low']:.3f} to {r['gini_high']:.3f}"
            ),
        ),
        ("KS", lambda r: _number(r["ks"])),
        ("oracle Gini (truth file)", lambda r: _number(r["oracle_gini"])),
        ("score PSI, S to D", lambda r: _number(r["psi_vs_snapshot"])),
    ]
    for label, cell in lines:
        table.add_row(label, *(Text(cell(row)) for row in validation.performance))
    return table


def bands_table(validation: Validation) -> Table:
    """Bad rate by 50-point band, one pair of columns per model."""
    models = [row["model_version"] for row in validation.performance]
    table = Table(title="Bad rate by score band (at S)")
    table.add_column("band", justify="right")
    for model in models:
        table.add_column(Text(f"{model}: users"), justify="right")
        table.add_column(Text("bad rate"), justify="right")
        table.add_column(Text("predicted"), justify="right")
    by_band: dict[int, dict[str, dict[str, Any]]] = {}
    for band in validation.bands:
        by_band.setdefault(band["band_low"], {})[band["model_version"]] = band
    for low in sorted(by_band):
        cells = []
        for model in models:
            found = by_band[low].get(model)
            if found is None:
                cells += ["", "", ""]
                continue
            predicted = found["predicted_bad_rate"]
            cells += [
                f"{found['users']:,}",
                f"{found['bad_rate']:.2%}",
                "-" if predicted is None else f"{predicted:.2%}",
            ]
        table.add_row(f"{low}-{low + 49}", *(Text(c) for c in cells))
    return table


def stability_table(validation: Validation) -> Table:
    """The characteristics whose distribution moved most (CSI), champion card."""
    table = Table(title="Characteristic stability (CSI), most moved first")
    for column in ("characteristic", "vs S", "vs previous month-end"):
        table.add_column(column, justify="left" if column == "characteristic" else "right")
    rows = sorted(validation.stability, key=lambda r: -(r["csi_vs_snapshot"] or 0.0))[
        :STABILITY_ROWS
    ]
    for row in rows:
        table.add_row(
            Text(row["characteristic"]),
            Text(_number(row["csi_vs_snapshot"])),
            Text(_number(row["csi_vs_previous_month_end"])),
        )
    return table
