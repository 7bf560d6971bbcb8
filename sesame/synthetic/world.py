"""A generation's parameters (``_generator/manifest.json``) and its chunks of users, each
with its tables drawn one at a time."""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from sesame.dates import add_months
from sesame.synthetic.activity import _assets, _risk_events, _transactions
from sesame.synthetic.credit import (
    _bills,
    _credit_accounts,
    _loan_applications,
    _negative_records,
    _repair_requests,
)
from sesame.synthetic.identity import _profile_changes, _relationships, _users
from sesame.synthetic.parameters import MANIFEST, MANIFEST_FORMAT, TRUTH_TABLE, IntArray
from sesame.synthetic.population import _draw_people, _GlobalDraws, _parse_shock, _Window, _window
from sesame.synthetic.truth import _truth


def _chunk_tables(
    seeds: np.random.SeedSequence, window: _Window, draws: _GlobalDraws, ids: IntArray, chunk: int
) -> Iterator[tuple[str, pa.Table]]:
    """The 11 tables of one chunk of users, then the truth (``TRUTH_TABLE``), one at a time.

    Each step draws from its own stream, so how many events one table drew (which depends on
    the latent path, e.g. under a shock) never shifts the draws of another.
    """
    rng = [np.random.default_rng(s) for s in seeds.spawn(12)]
    people = _draw_people(rng[0], window, draws, ids)
    yield "users", _users(rng[1], people)
    yield "profile_changes", _profile_changes(rng[2], window, people, chunk)
    yield "transactions", _transactions(rng[3], window, people, chunk)
    accounts_table, accounts = _credit_accounts(rng[4], window, people, chunk)
    yield "credit_accounts", accounts_table
    bills_table, bills, has_credit_bill = _bills(rng[5], window, people, accounts, chunk)
    yield "bills", bills_table
    del bills_table
    yield "repair_requests", _repair_requests(rng[6], window, people, bills, chunk)
    del bills
    loans_table, spree_owner, spree_start = _loan_applications(rng[7], window, people, chunk)
    yield "loan_applications", loans_table
    yield "negative_records", _negative_records(rng[8], window, people, chunk)
    yield "relationships", _relationships(rng[9], window, people, draws)
    yield "assets", _assets(rng[10], window, people)
    yield "risk_events", _risk_events(rng[11], window, people, spree_owner, spree_start, chunk)
    yield TRUTH_TABLE, _truth(window, people, has_credit_bill)


@dataclass(frozen=True)
class _World:
    """A generation's parameters (``_generator/manifest.json``) and the day its files show."""

    users: int
    months: int
    seed: int
    end: datetime.date
    chunk_users: int
    shock: str | None
    truth: bool
    as_of: datetime.date

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError("users must be at least 1")
        if self.months < 1:
            raise ValueError("months must be at least 1")
        if self.chunk_users < 1:
            raise ValueError("chunk_users must be at least 1")
        if self.seed < 0:
            raise ValueError("seed must be non-negative")
        start = add_months(self.end, -self.months) + datetime.timedelta(days=1)
        if not start <= self.as_of <= self.end:
            raise ValueError(
                f"as_of {self.as_of} must be a day of the generated window, {start} .. {self.end}"
            )

    def chunk_size(self, chunk: int) -> int:
        return min(self.users, (chunk + 1) * self.chunk_users) - chunk * self.chunk_users

    def chunks(self) -> Iterator[tuple[int, Iterator[tuple[str, pa.Table]]]]:
        """Each chunk of users, with its tables drawn one at a time (``_chunk_tables``)."""
        window = _window(self.end, self.months, _parse_shock(self.shock))
        draws = _GlobalDraws(self.seed, window, self.users)
        n_chunks = -(-self.users // self.chunk_users)
        for chunk, child in enumerate(np.random.SeedSequence(self.seed).spawn(n_chunks)):
            first = chunk * self.chunk_users + 1
            ids = np.arange(first, first + self.chunk_size(chunk), dtype=np.int64)
            yield chunk, _chunk_tables(child, window, draws, ids, chunk)

    def save(self, out_dir: Path) -> None:
        """Writes the manifest in one step (a temporary file renamed over it)."""
        path = out_dir / MANIFEST
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = {**self.__dict__, "end": self.end.isoformat(), "as_of": self.as_of.isoformat()}
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(json.dumps({"format": MANIFEST_FORMAT, **fields}, indent=2) + "\n")
        os.replace(partial, path)

    @classmethod
    def load(cls, out_dir: Path) -> _World:
        path = out_dir / MANIFEST
        try:
            fields = json.loads(path.read_text())
        except FileNotFoundError:
            raise ValueError(
                f"{out_dir} holds no {MANIFEST}: it was not written by `sesame generate` (or by "
                "a version before --as-of); generate it with --end (the world's last day) and "
                "--as-of (the first day to show), then grow it with --next-day"
            ) from None
        except (OSError, ValueError) as error:
            raise ValueError(
                f"{path} cannot be read ({error}); generate the folder again"
            ) from None
        if fields.pop("format", None) != MANIFEST_FORMAT:
            raise ValueError(f"{path} is of another format; generate the folder again")
        fields["end"] = datetime.date.fromisoformat(fields["end"])
        fields["as_of"] = datetime.date.fromisoformat(fields["as_of"])
        return cls(**fields)
