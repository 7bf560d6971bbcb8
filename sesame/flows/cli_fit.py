"""``sesame fit``: a new card fitted from outcomes (optbinning, the optional extra `fit`).

Registered on the app by sesame.flows.cli, in the order ``sesame --help`` lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sesame.errors import UsageError
from sesame.flows.cli_common import (
    QuietOption,
    VerboseOption,
    WarehouseOption,
    log_progress,
    make_settings,
    out,
    parse_date,
)


def fit(
    dev: Annotated[str, typer.Option("--dev", help="development snapshot S1, YYYY-MM-DD")],
    oot: Annotated[str, typer.Option("--oot", help="out-of-time snapshot S2, YYYY-MM-DD")],
    out_path: Annotated[Path, typer.Option("--out", help="card file to write")] = Path(
        "scorecard_v2.toml"
    ),
    warehouse: WarehouseOption = None,
    version: Annotated[
        str, typer.Option("--version", help="model_version of the new card")
    ] = "scorecard-v2",
    contract_floor: Annotated[
        float | None,
        typer.Option(
            "--contract-floor",
            min=1,
            help="points for a characteristic the contract requires to move the score but the "
            "data cannot support \\[default: refuse the fit]",
        ),
    ] = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Fit a new card from outcomes (contract section 5): dev S1, out-of-time S2. No Prefect."""
    try:
        from sesame.fitting import fit_scorecard
    except ImportError as error:
        raise UsageError(
            f"sesame fit needs the optional extra `fit` ({error.name} is missing): "
            "pip install -e '.[fit]'"
        ) from None

    log_progress(quiet, verbose)
    settings = make_settings(warehouse)
    first, second = parse_date(dev, "--dev"), parse_date(oot, "--oot")
    result = fit_scorecard(
        settings.database_path(),
        first,
        second,
        out_path,
        model_version=version,
        contract_floor=contract_floor,
    )
    if quiet:
        return
    out.print(f"[bold]sesame fit[/bold] {result.model_version} written to {result.path}")
    out.print(
        f"S1 {result.dev_snapshot}: {result.dev_users:,} users, {result.dev_bads:,} bad, "
        f"Gini {result.dev_gini:.3f}; S2 {result.oot_snapshot}: {result.oot_users:,} users, "
        f"{result.oot_bads:,} bad, Gini {result.oot_gini:.3f} (a default optbinning card: "
        f"{result.baseline_oot_gini:.3f}; gradient-boosted trees: "
        f"{result.trees_oot_gini:.3f})"
    )
    scaling = result.scaling
    out.print(
        f"scaling: {scaling['method']}, {scaling['odds']:g}:1 good:bad at {scaling['score']:g}, "
        f"odds double every {scaling['pdo']:g} points; possible scores "
        f"{result.min_score}..{result.max_score}; calibration P(bad) = 1 / (1 + exp(-("
        f"{result.calibration[0]:.4f} + {result.calibration[1]:.6f} x score)))"
    )
    table = Table(title="Information value on S1")
    table.add_column("characteristic")
    table.add_column("IV", justify="right")
    table.add_column("points")
    for name, value in sorted(result.iv.items(), key=lambda item: -item[1]):
        table.add_row(name, f"{value:.4f}", "fitted" if name in result.kept else "no / floor")
    out.print(table)
    out.print(f"fingerprint {result.data_fingerprint[:16]}, {result.seconds:.1f} s")
