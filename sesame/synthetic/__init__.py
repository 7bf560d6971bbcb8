"""Synthetic exports that follow data contract v2, with a known risk: demos, tests, benchmarks.

``generate_exports`` writes the 11 export tables of ``sesame.schema.TABLES`` as Parquet, one
sub-directory per table and one file per chunk of users, and beside them the ground truth
``_truth/user_months/part-NNNNN.parquet`` (outside the contract's tables: the folder name starts
with ``_``, so the job's ingest ignores it). Everything is drawn with vectorised numpy: the only
Python loops run over chunks, tables, a handful of categories and the months of the window.

Latent credit quality, drift and shock
--------------------------------------
Every user has a static base quality ``q0 ~ N(0, 1)``. Friends cluster by it: users are grouped
into communities of ``COMMUNITY_SIZE`` consecutive ids, ``q0`` is the community's mean plus the
user's own deviation, and most friends come from the same community. ``q0`` and the registration
time are drawn from a counter-based hash of (seed, user id), so a chunk can look up a friend that
lives in another chunk without holding every user in memory. Everything else is drawn per chunk
from ``np.random.default_rng``, one stream per chunk and table, spawned from ``SeedSequence(seed)``.

The quality that drives behaviour DRIFTS: per calendar month ``t`` of the window (``t = 0`` is the
month of the window's first day) it is a random walk ``q[0] = q0 + e[0]``,
``q[t] = q[t-1] + e[t]``, ``e[t] ~ N(0, QUALITY_STEP_SD)`` drawn from the chunk's rng. Builders
(~15%) start ``BUILDER_START_GAP`` below ``q0`` and climb ``BUILDER_DRIFT`` a month. With
``shock="YYYY-MM"`` every user's quality is ``SHOCK_DROP`` lower in that calendar month and every
month after (a population shock, e.g. a recession). The path is quantised to multiples of 2**-14,
the value written to the truth file is the value used. The path is drawn ``OUTCOME_MONTHS`` months
past ``end`` as well, so the truth is defined for every month-end of the window.

What the quality of the current month drives
--------------------------------------------
Lower ``q[t]`` means more, in month ``t``, of each of these (rates per user-month scale with
``exp(-slope * q[t])``): late bills (probability and length), phone and address changes (on top
of ~4% churners, more among low quality, who change several times a year), borrowing sprees (5-15
loan applications within 30 days, mostly declined, a third followed by a cash-out) and ordinary
loan applications, platform violations (cash-out, fraud reports, account abuse), negative records
of all three categories (legal ~1% of users, financial ~4%, life ~7%; some resolved, some removed
on appeal, some so old they stopped counting), skipped salary months, and the episodes below.

Traits fixed over the window follow the base quality ``q0`` (so drift and a shock change
behaviour, not who the users are): profile completeness (0..7 items, more for higher quality),
a steady salary, confirming receipts (low confirmers let the system auto-confirm), paying utility,
phone or rent bills through the platform (from the window's first month, no lag), holding and
using credit (huabei ~90%, credit cards more for higher quality), assets (every bin of
``assets_value_cny`` from none to 5M+, higher for higher quality) and tenure (registrations from
``REGISTRATION_YEARS`` years before ``end`` to its last weeks, longer for higher ``q0``). Stallers
(~13%, more among low quality) keep an incomplete profile and never pay living bills on the
platform. Because every step draws from its own stream, the same seed with and without a shock
gives the same users, accounts and credit-bill months, and only the quality-driven behaviour
differs.

The bad mechanism (contract section 5)
--------------------------------------
In every month ``t`` a user enters a serious-delinquency episode with hazard
``h[t] = sigmoid(HAZARD_INTERCEPT + HAZARD_SLOPE * q[t])``, independently of earlier months and of
everything else drawn. An episode entered in month ``u`` lasts ``L`` months, ``L`` uniform on
``EPISODE_MONTHS``: every credit bill (huabei, jiebei, credit_card, installment_loan) due in months
``u .. u+L-1`` is left unpaid or paid 95-400 days late; collections flags part of them as deliberate
defaults (users who could pay: more among low quality). Deliberate defaults happen only in
episodes. Outside episodes a bill is paid on time or 1-85 days late, never 90 or more (a payment
that would fall after ``end`` leaves the bill unpaid in the exports). Nothing else (accounts,
closings, usage) depends on the episodes.

Ground truth
------------
``_truth/user_months/part-NNNNN.parquet``, one row per user and calendar month-end ``S`` on or
before ``end`` in the window (also for users not registered at ``S``, and for month-ends whose
12-month future lies beyond ``end``): ``user_id`` int64, ``month_end`` date32, ``quality`` double
(``q`` of the month of ``S``), ``pd_12m`` double. With ``s`` the month of ``S`` and ``B[t]`` true
when the user has a credit bill due in month ``t`` (past ``end`` too: the bills the accounts would
get, drawn like the written ones but not written), the bad outcome for ``S`` (a credit bill due in
``(S, S + 9 months]``, i.e. in months ``s+1 .. s+9`` as bills fall due on days 1-28, 90+ days past
due by ``S + 12 months``, which an episode bill always is and no other bill ever is) occurs exactly
when an episode covers a month ``t`` in ``s+1 .. s+9`` with ``B[t]``. So::

    pd_12m = 1 - prod over u in s+1-(max L - 1) .. s+9 of (1 - h[u] * c[u])
    c[u]   = mean over L in EPISODE_MONTHS of [some B[t], t in max(u, s+1) .. min(u+L-1, s+9)]

where ``h[u]`` is the realised hazard for the months up to ``s`` and, for the months after it, its
expectation given ``q[s]`` (the random walk integrated out, the builders' drift and a scheduled
shock included: ``_expected_hazard``): the probability as it stands at the month-end, the best any
model could know then. It conditions on the months with credit bills (``B``), not on the episode
draws, and ignores the contract's exclusions (users unscorable at ``S`` or
already 90+ days past due at ``S``, which the job drops). Only episodes entered in the window's
months (``u >= 0``) exist. ``pd_12m`` is rounded to 2**-32. Measured on 20,000 users over 24
months, at the month-end 12 months before ``end``: bad rate ~5%, mean ``pd_12m`` ~5%, bad rate
~0.5% in the bottom and ~15% in the top quintile of ``pd_12m``.

Time
----
The window is the ``months`` months up to and including ``end``. Every event lies in the window and
not before the user's registration, with three exceptions that the contract allows:
``users.registered_at`` (up to ``REGISTRATION_YEARS`` years before ``end``),
``credit_accounts.opened_at`` (an account opens soon after registration, possibly before the
window; its bills start in the window) and ``negative_records`` (external records from courts,
banks and merchants: ``occurred_at`` and ``resolved_at`` go back up to 7 years before ``end``, so
some resolved records have already stopped counting, and may predate registration). Nothing is
later than ``end`` 23:59:59.

Night by night
--------------
``end`` is the last day of the generated world; ``as_of`` (default ``end``) is the day whose end
the exports show. A row is exported once its event's day is over and its user has registered; an
end that lies after ``as_of`` (a bill paid, an account closed, a record resolved, a friendship
ended) is not known yet: the end column is null, ``amount_paid`` is 0 and ``closed_by`` null
(``as_exported``). ``generate_next_day`` then moves ``as_of`` by one day and adds, in new files
(``update-YYYY-MM-DD-part-NNNNN.parquet``), the rows that day adds or changes: new events and
corrections of delivered rows. As the contract's later file wins on a primary key, a directory
grown that way holds exactly what one generation with that ``as_of`` writes. The world's
parameters and its ``as_of`` are kept in ``_generator/manifest.json``. With ``as_of == end``
nothing is filtered: the files are those of a generation without ``as_of``.
"""

from __future__ import annotations

from sesame.synthetic.as_of import EVENT_COLUMN, as_exported, registered_by
from sesame.synthetic.exports import generate_exports
from sesame.synthetic.next_day import NextDay, generate_next_day, generated_users
from sesame.synthetic.parameters import MANIFEST, SHOCK_DROP, TRUTH_DIR, TRUTH_TABLE

__all__ = [
    "EVENT_COLUMN",
    "MANIFEST",
    "SHOCK_DROP",
    "TRUTH_DIR",
    "TRUTH_TABLE",
    "NextDay",
    "as_exported",
    "generate_exports",
    "generate_next_day",
    "generated_users",
    "registered_by",
]
