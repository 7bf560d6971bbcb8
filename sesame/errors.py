"""The errors a run reports to its user: each says what failed and where."""

from __future__ import annotations


class SesameError(Exception):
    """A failure the user can act on; the CLI prints its message and exits non-zero."""

    exit_code = 1


class ExportError(SesameError):
    """An export that cannot be ingested: names the table, the file and the column."""

    exit_code = 3

    def __init__(
        self, table: str, message: str, *, file: str | None = None, column: str | None = None
    ) -> None:
        self.table = table
        self.file = file
        self.column = column
        where = [f"table {table}"]
        if file is not None:
            where.append(f"file {file}")
        if column is not None:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {message}")


class DeliveredFileChangedError(ExportError):
    """A delivered export file that differs from what was ingested, or is gone (contract v2:
    delivered files do not change); the operator accepts it with ``--accept-changed``."""

    exit_code = 3

    def __init__(self, table: str, file: str, change: str, *, others: int = 0) -> None:
        self.change = change
        more = f" ({others:,} more delivered file(s) changed or are gone too)" if others else ""
        super().__init__(
            table,
            f"the delivered file {change}{more}; delivered files must "
            "not change, so nothing was published. If upstream meant it, take the new content "
            f"with `sesame ingest --accept-changed {file}`",
            file=file,
        )


class StaleDataError(SesameError):
    """The exports hold no recent events for a table the score depends on, or no data at all
    by the snapshot date: scores for it would mislead."""

    exit_code = 3

    def __init__(self, table: str, message: str) -> None:
        self.table = table
        super().__init__(f"table {table}: {message}")


class WarehouseBusyError(SesameError):
    """Another run holds the warehouse."""

    exit_code = 4


class CheckFailedError(SesameError):
    """A data check found offending rows in the results about to be published."""

    exit_code = 5

    def __init__(self, check: str, rows: int, detail: str) -> None:
        self.check = check
        self.rows = rows
        super().__init__(f"data check {check} failed on {rows} row(s): {detail}")


class UsageError(SesameError):
    """A command was called with values that cannot work."""

    exit_code = 2


class WarehouseDamagedError(SesameError):
    """The published warehouse file fails DuckDB's checksums or cannot be opened: nothing was
    published, and the way back is ``sesame restore`` or ``sesame rebuild``."""

    exit_code = 7

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        super().__init__(
            f"the warehouse {path} is damaged ({detail}); nothing was published. Bring back the "
            "last good file with `sesame restore` (`sesame restore --list` shows them), or "
            "recreate it from the exports and the Parquet snapshot copies with `sesame rebuild`"
        )


class DiskFullError(SesameError):
    """A write failed for want of room: names the step and the path; nothing was published."""

    exit_code = 8

    def __init__(self, step: str, path: str, detail: str) -> None:
        self.step = step
        self.path = path
        super().__init__(
            f"no room to write {path} during {step} ({detail}); nothing was published and the "
            "partial copy was removed. Free space there (the run needs about twice the "
            "warehouse's size) and run again"
        )
