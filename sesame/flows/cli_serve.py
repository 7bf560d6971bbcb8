"""``sesame serve``: the nightly flow on its schedule, with Prefect.

Registered on the app by sesame.flows.cli, in the order ``sesame --help`` lists.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from sesame.flows.cli_common import (
    ON_STOP,
    DaskAddressOption,
    InputOption,
    VerboseOption,
    WarehouseOption,
    WorkersOption,
    cluster_options,
    cluster_phrase,
    err,
    log_progress,
    make_settings,
)


def serve(
    input_dir: InputOption = None,
    warehouse: WarehouseOption = None,
    cron: Annotated[
        str | None,
        typer.Option("--cron", help="schedule, cron syntax \\[default: 0 2 * * *, daily at 02:00]"),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="IANA time zone of the schedule \\[default: UTC]"),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", help="port of the embedded Prefect server and its UI")
    ] = 4200,
    workers: WorkersOption = None,
    dask_address: DaskAddressOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Serve the nightly flow on its schedule with Prefect (each run scores the previous day).

    Without PREFECT_API_URL it starts Prefect's server itself (embedded, state under the
    warehouse, UI on --port); with it, it uses that server (e.g. `prefect server start`).
    With --workers or --dask-address, each scheduled run scores on that Dask cluster."""
    log_progress(False, verbose)
    schedule: dict[str, Any] = {}
    if cron is not None:
        schedule["schedule_cron"] = cron
    if timezone is not None:
        schedule["schedule_timezone"] = timezone
    settings = make_settings(
        warehouse, input_dir, **schedule, **cluster_options(workers, dask_address)
    )
    # scheduled runs start in Prefect's working directory: absolute paths
    settings = settings.model_copy(
        update={"warehouse": settings.warehouse.resolve(), "input": settings.input.resolve()}
    )
    from sesame.flows.prefect_env import configure_prefect, prefect_api

    # scheduled runs log through Prefect (to the UI), sesame's progress lines included
    os.environ["PREFECT_LOGGING_EXTRA_LOGGERS"] = "sesame"
    os.environ["PREFECT_LOGGING_LEVEL"] = "DEBUG" if verbose else "INFO"
    configure_prefect(settings)
    embedded = "PREFECT_API_URL" not in os.environ
    if settings.dask_address is not None:
        from sesame.cluster import check_cluster

        check_cluster(settings)  # before serving: a schedule that would fail every night
    if (settings.workers or settings.dask_address) and not verbose:
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    # the server first: Prefect reads PREFECT_API_URL when it is imported
    with prefect_api(services=True, port=port) as api_url:
        from prefect import serve as prefect_serve

        from sesame.flows.serve import build_deployment, next_run

        ON_STOP["said"] = "stopped serving; a run in progress published nothing"

        deployment = build_deployment(settings)
        start, scores = next_run(settings)
        err.print(
            f"serving sesame-nightly on '{settings.schedule_cron}' ({settings.schedule_timezone}) "
            f"for {settings.warehouse}{cluster_phrase(settings)}; Prefect API {api_url}"
            + (" (embedded; UI at " + api_url.removesuffix("/api") + ")" if embedded else "")
            + f". Next run {start:%Y-%m-%d %H:%M} {settings.schedule_timezone} (scores {scores}). "
            "Ctrl-C stops.",
            soft_wrap=True,
        )
        prefect_serve(deployment, print_starting_message=False)
