"""One typed settings object for the whole job (environment prefix ``SESAME_``).

Every tunable has a default, a unit and a reason. Nothing else in the project reads the
environment: commands build a ``Settings`` and pass it down.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


class Settings(BaseSettings):
    """Settings read from ``SESAME_*`` environment variables, then command-line options."""

    model_config = SettingsConfigDict(env_prefix="SESAME_", extra="ignore")

    # --- where things live ------------------------------------------------------------------
    warehouse: Path = Field(
        default=Path("warehouse"), description="warehouse directory (DuckDB file, Parquet, reports)"
    )
    input: Path = Field(
        default=PROJECT_DIR / "sample_data", description="export directory, one folder per table"
    )
    prefect_home: Path | None = Field(
        default=None,
        description="Prefect's local state (its database), never in the home directory",
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
    io_retries: int = Field(
        default=2, ge=0, description="retries of a step that failed reading or writing files"
    )

    # --- schedule (sesame serve) ------------------------------------------------------------
    schedule_cron: str = Field(default="0 2 * * *", description="when `sesame serve` runs")
    # UTC has no daylight saving: a 02:00 run never moves or runs twice.
    schedule_timezone: str = Field(default="UTC", description="time zone of the schedule")

    # --- scoring windows (days / months) ------------------------------------------------------
    # A credit record looks back two years for payment behaviour, like most bureau scorecards.
    overdue_lookback_months: int = Field(
        default=24, description="months after its due date a bill paid late keeps counting"
    )
    # Usage, living payments, receipts, activity and income are judged on the last year.
    behaviour_window_months: int = Field(
        default=12, description="months of usage, receipts, living payments, activity"
    )
    # Salary regularity over half a year: long enough to see gaps, short enough to forgive.
    income_window_months: int = Field(default=6, description="months judged for steady income")
    # Applications in a month tell a borrowing spree.
    recent_applications_days: int = Field(
        default=30, description="days in which loan applications count"
    )
    # Platform violations stay on the record for two years.
    risk_event_lookback_months: int = Field(default=24, description="months a violation counts")
    # Frequent changes are judged on the last year (contract: "in the last 12 months").
    profile_change_window_months: int = Field(
        default=12, description="months in which phone and address changes count"
    )

    # A day of a deliberate default weighs this many days of an ordinary overdue (contract: a
    # deliberate default costs more than an ordinary overdue of the same length).
    deliberate_default_weight: int = Field(
        default=3, ge=2, description="weight of a deliberate default's days past due"
    )

    # --- contract rules (years / days) ---------------------------------------------------------
    legal_financial_retention_years: int = Field(
        default=5, description="years a resolved legal or financial record keeps counting"
    )
    life_retention_years: int = Field(
        default=2, description="years a resolved life record keeps counting"
    )
    repair_paid_within_days: int = Field(
        default=30, description="a repairable bill was paid in full within this many days"
    )
    repair_cooldown_days: int = Field(
        default=365, description="no other approved repair in this many days before a request"
    )

    # --- scorability ---------------------------------------------------------------------------
    # Fewer events than this in the behaviour window means too little data to score.
    min_events_to_score: int = Field(
        default=3, description="fewest transactions + bills in the behaviour window to be scored"
    )

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

    # --- history ---------------------------------------------------------------------------------
    history_months: int = Field(
        default=12, description="month-end snapshots a nightly run makes sure exist before D"
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
        """The windows and rules that SQL models take as bound parameters."""
        return {
            "overdue_lookback_months": self.overdue_lookback_months,
            "deliberate_default_weight": self.deliberate_default_weight,
            "behaviour_window_months": self.behaviour_window_months,
            "income_window_months": self.income_window_months,
            "recent_applications_days": self.recent_applications_days,
            "risk_event_lookback_months": self.risk_event_lookback_months,
            "profile_change_window_months": self.profile_change_window_months,
            "legal_financial_retention_years": self.legal_financial_retention_years,
            "life_retention_years": self.life_retention_years,
            "repair_paid_within_days": self.repair_paid_within_days,
            "repair_cooldown_days": self.repair_cooldown_days,
            "min_events_to_score": self.min_events_to_score,
            "borrowing_risk_min_score": self.borrowing_risk_min_score,
            "declining_months": self.declining_months,
            "declining_min_points": self.declining_min_points,
            "spree_applications": self.spree_applications,
            "spree_amount_cny": self.spree_amount_cny,
            "churn_changes": self.churn_changes,
            "report_months": self.report_history_months,
            "max_scored_users_drop": self.max_scored_users_drop,
        }
