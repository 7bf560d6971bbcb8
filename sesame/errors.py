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
