"""One typed settings object for the whole job (environment prefix ``SESAME_``).

Every tunable has a default, a unit and a reason. Nothing else in the project reads the
environment: commands build a ``Settings`` and pass it down. Sources, the first that sets a value
wins: command-line options, ``SESAME_*`` environment variables, the config file (``sesame.toml``
in the working directory, or the file ``SESAME_CONFIG`` names; keys are the settings' names in
lower case, e.g. ``memory_limit = "4GB"``), the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
BUNDLED_SAMPLE = PROJECT_DIR / "sample_data"  # only in a clone (or an editable install)
CONFIG_FILE = "sesame.toml"  # in the working directory; SESAME_CONFIG names another file


def default_input() -> Path:
    """The bundled sample in a clone of the project; ``exports/`` in the working directory where
    the package was installed without it (a wheel holds no sample_data/)."""
    return BUNDLED_SAMPLE if BUNDLED_SAMPLE.is_dir() else Path("exports")


class ConfigFileError(ValueError):
    """A config file that cannot be read or sets something that is not a setting."""


def config_file() -> Path | None:
    """The config file the settings read: SESAME_CONFIG (which must exist), else ./sesame.toml
    when there is one."""
    named = os.environ.get("SESAME_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigFileError(f"SESAME_CONFIG={named}: no such file")
        return path
    local = Path(CONFIG_FILE)
    return local if local.is_file() else None


class _ConfigFileSource(TomlConfigSettingsSource):
    """The config file, refusing a key that is not a setting (a typo would go unnoticed)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        try:
            super().__init__(settings_cls, toml_file=path)
        except tomllib.TOMLDecodeError as error:
            raise ConfigFileError(f"config file {path}: {error}") from None
        unknown = sorted(set(self.toml_data) - set(settings_cls.model_fields))
        if unknown:
            raise ConfigFileError(
                f"config file {path}: {', '.join(map(repr, unknown))} "
                f"{'is not a setting' if len(unknown) == 1 else 'are not settings'} (the "
                "settings are listed in the README, in lower case without SESAME_)"
            )


class Settings(BaseSettings):
    """Settings read from ``SESAME_*`` environment variables, then command-line options."""

    model_config = SettingsConfigDict(env_prefix="SESAME_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = config_file()
        if path is None:
            return (init_settings, env_settings)
        return (init_settings, env_settings, _ConfigFileSource(settings_cls, path))

    # --- where things live ------------------------------------------------------------------
    warehouse: Path = Field(
        default=Path("warehouse"), description="warehouse directory (DuckDB file, Parquet, reports)"
    )
    input: Path = Field(
        default_factory=default_input,
        description="export directory, one folder per table",
    )
    prefect_home: Path | None = Field(
        default=None,
        description="Prefect's local state (its database), never in the home directory",
    )

    # A second card scored beside the champion into challenger_snapshots (never published),
    # validated side by side in report_model_performance.
    challenger_card: Path | None = Field(
        default=None, description="a challenger scorecard TOML scored beside the champion"
    )

    # --- engine -----------------------------------------------------------------------------
    memory_limit: str = Field(
        default="2GB", description="DuckDB memory limit; DuckDB spills to disk beyond it"
    )
    threads: int | None = Field(default=None, description="DuckDB threads")
    # Each date's users are scored in partitions (user_id ranges) so that one partition's
    # aggregates fit in memory. Measured at 1M users with the 2 GB limit: 4 partitions of 250k
    # users keep the process at 2.6 GB (5.4 GB in one partition).
    user_partitions: int | None = Field(
        default=None, ge=1, description="partitions (user_id ranges) of each date's users"
    )
    users_per_partition: int = Field(
        default=250_000,
        ge=1_000,
        description="most users of one partition when user_partitions is unset",
    )
    # Where one machine is not enough, the partitions of each date run on a Dask cluster (one
    # Prefect task per partition); the flow's process stays the only writer. Neither set: one
    # process, as before.
    workers: int | None = Field(
        default=None,
        ge=1,
        description="worker processes of a local Dask cluster that score the partitions",
    )
    dask_address: str | None = Field(
        default=None,
        description="scheduler of an existing Dask cluster that scores the partitions",
    )

    # A night scores again only the users whose snapshot can have changed and carries the
    # others' rows forward (sesame/incremental.py); `sesame nightly --full` sets this for one run.
    full_rescore: bool = Field(
        default=False, description="score every user on every night (no incremental nights)"
    )

    # --- run safety -------------------------------------------------------------------------
    # A few bad rows are quarantined and the run goes on; many mean a broken export upstream,
    # and publishing scores computed from half a table would mislead: stop instead.
    max_bad_row_share: float = Field(
        default=0.05, ge=0, le=1, description="share of a table's new rows that may be bad"
    )
    # Users do not vanish overnight: far fewer scored users than the previous snapshot means
    # missing exports, so the run stops before publishing.
    max_scored_users_drop: float = Field(
        default=0.10, ge=0, le=1, description="share of scored users a date may lose vs the last"
    )
    lock_wait_seconds: float = Field(
        default=0, ge=0, description="seconds a run waits for another run to finish (0: refuse)"
    )
    # Reading every table of the copy before publishing makes DuckDB check every block's
    # checksum: a damaged block is never published again. Measured: 1.3 s for a 160 MB file.
    verify_before_publish: bool = Field(
        default=True, description="read every table of the copy before publishing it"
    )
    # Each publish keeps the file it replaces (a hard link: no copy, but its blocks stay on
    # disk): two nights to go back to when a damaged or wrong night is found in the morning.
    backups_kept: int = Field(
        default=2, ge=0, description="published warehouse files kept as backups (sesame restore)"
    )
    io_retries: int = Field(
        default=2, ge=0, description="retries of a step that failed reading or writing files"
    )

    # --- schedule (sesame serve) ------------------------------------------------------------
    schedule_cron: str = Field(default="0 2 * * *", description="when `sesame serve` runs")
    # UTC has no daylight saving: a 02:00 run never moves or runs twice.
    schedule_timezone: str = Field(default="UTC", description="time zone of the schedule")

    # --- reports ---------------------------------------------------------------------------------
    # The contract: borrowing risk is reported for users scoring 700 or more.
    borrowing_risk_min_score: int = Field(default=700, description="lowest score watched")
    # Three month-ends in a row lower than the one before, 10 points or more in all.
    declining_months: int = Field(
        default=3, ge=1, description="month-ends in a row that fell, for score_declining"
    )
    declining_min_points: int = Field(
        default=10, description="points lost over those month-ends, for score_declining"
    )
    # Four applications a month, or several for 50,000 CNY in all, is a spree for a consumer.
    spree_applications: int = Field(
        default=4, description="loan applications in the recent window, for abnormal_borrowing"
    )
    spree_amount_cny: float = Field(
        default=50_000.0,
        description="CNY applied for in 2+ applications in the window, abnormal_borrowing",
    )
    # Three phone or address changes in a year is churn worth a look.
    churn_changes: int = Field(
        default=3, description="phone + address changes in the churn window, identity_churn"
    )
    # Month-end snapshots the stuck-users report looks back over.
    report_history_months: int = Field(
        default=36, description="month-ends the stuck and trend reports read"
    )

    # --- model validation (contract section 5) -------------------------------------------------
    # Resamples of the users behind the Gini's 95% interval: 200 put the interval's ends within
    # about 0.01 of a 2,000-resample run at 50k users, in well under a second.
    validation_bootstrap_samples: int = Field(
        default=200, ge=0, description="bootstrap resamples for the Gini's 95% interval"
    )
    # Below this out-of-time Gini a consumer scorecard ranks too weakly to sign off.
    validation_min_gini: float = Field(
        default=0.4, ge=-1, le=1, description="a Gini below this is a validation warning"
    )
    # A band's bad rate is judged only with this many users (fewer: noise).
    validation_min_band_users: int = Field(
        default=100, ge=1, description="users a 50-point band needs for the rank-order check"
    )
    # The industry's rule of thumb: a PSI or CSI above 0.25 is a significant shift.
    validation_max_stability_index: float = Field(
        default=0.25, ge=0, description="a PSI or CSI above this is a validation warning"
    )

    # --- history ---------------------------------------------------------------------------------
    history_months: int = Field(
        default=12, description="month-end snapshots a nightly run makes sure exist before D"
    )
    # The database keeps every month-end and the daily dates of the last 35 days; older daily
    # dates live on in their snapshots' Parquet copies (sesame.retention), so a night's copy,
    # verification and reads do not grow with history. At least 32: a refresh day reaches back
    # 31 days, and its snapshot is read rather than scored again.
    daily_history_days: int = Field(
        default=35, ge=32, description="days of daily snapshots the database keeps (month-ends all)"
    )

    # --- freshness -----------------------------------------------------------------------------
    # Contract v2: a run for D refuses to publish when a table the score depends on has no event
    # later than this many days before D (sesame.freshness; --allow-stale overrides); None = no
    # limit. Transactions arrive daily: a day of slack. Bills fall due on a few days of a month:
    # a month and a few days.
    freshness_days_transactions: int | None = Field(
        default=2, ge=1, description="days before D within which a transaction must exist"
    )
    freshness_days_bills: int | None = Field(
        default=35, ge=1, description="days before D within which a bill must fall due"
    )

    @field_validator("schedule_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as UTC or Asia/Shanghai"
            ) from error
        return value

    @model_validator(mode="after")
    def _one_cluster(self) -> Settings:
        if self.workers is not None and self.dask_address is not None:
            raise ValueError(
                "workers (a local Dask cluster) and dask_address (an existing one) exclude "
                "each other"
            )
        return self

    def database_path(self) -> Path:
        return self.warehouse / "sesame.duckdb"

    def prefect_state_dir(self) -> Path:
        return self.prefect_home if self.prefect_home is not None else self.warehouse / ".prefect"

    def sql_parameters(self) -> dict[str, int | float]:
        """The report thresholds that SQL models take as bound parameters (the feature windows
        are the card's, ``Scorecard.parameters``; the contract's rules are ``sesame.rules``)."""
        return {
            "borrowing_risk_min_score": self.borrowing_risk_min_score,
            "declining_months": self.declining_months,
            "declining_min_points": self.declining_min_points,
            "spree_applications": self.spree_applications,
            "spree_amount_cny": self.spree_amount_cny,
            "churn_changes": self.churn_changes,
            "report_months": self.report_history_months,
            "max_scored_users_drop": self.max_scored_users_drop,
        }
