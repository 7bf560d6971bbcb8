"""The contract's fixed rules (sections 2 and 5), in one home: they are neither settings nor
card choices, since changing one would break the contract. SQL models take them as bound
parameters (``sql_parameters``)."""

from __future__ import annotations

# --- the score (section 3) -----------------------------------------------------------------------
SCORE_MIN = 350  # every score and published score lies in SCORE_MIN..SCORE_MAX
SCORE_MAX = 950
SCORE_BAND_POINTS = 50  # the reports' score bands: 350-399, 400-449, ... the last one 900-950

# --- negative records (section 2): a resolved record stops counting this long after it ----------
LEGAL_FINANCIAL_RETENTION_YEARS = 5  # legal (court list) and financial (institutions) records
LIFE_RETENTION_YEARS = 2  # life records (unpaid fees, no-shows, taxi, rentals)

# --- repair (section 2) ------------------------------------------------------------------------
REPAIR_PAID_WITHIN_DAYS = 30  # the bill was paid in full within this many days of its due date
REPAIR_COOLDOWN_DAYS = 365  # no other approved repair of the user in this many days before

# --- reports (section 4) ------------------------------------------------------------------------
STUCK_MONTHS = 7  # a user is stuck when months_without_rise is at least this

# --- outcomes (section 5) ------------------------------------------------------------------------
CREDIT_PRODUCTS = ("huabei", "jiebei", "credit_card", "installment_loan")  # bills an outcome reads
OUTCOME_DUE_MONTHS = 9  # a bill due in (S, S + 9 months] can make S's outcome
PERFORMANCE_MONTHS = 12  # ... when it is 90+ days past due by S + 12 months
BAD_DAYS_PAST_DUE = 90  # bad: 90 or more days past due (also: excluded when already so at S)
INDETERMINATE_DAYS_PAST_DUE = 30  # indeterminate: the worst such bill reached 30-89 days

BAD_DEFINITION = (
    "bad: a credit bill (huabei, jiebei, credit_card, installment_loan) due in (S, S + 9 months] "
    "is 90 or more days past due by S + 12 months (an approved repair counting as paid on time); "
    "indeterminate: the worst such bill reaches 30-89 days; good otherwise; excluded: "
    "unscorable at S, or already with a credit bill 90 or more days past due at S"
)


def sql_parameters() -> dict[str, int]:
    """The rules that SQL models take as bound parameters."""
    return {
        "score_min": SCORE_MIN,
        "score_max": SCORE_MAX,
        "score_band_points": SCORE_BAND_POINTS,
        "legal_financial_retention_years": LEGAL_FINANCIAL_RETENTION_YEARS,
        "life_retention_years": LIFE_RETENTION_YEARS,
        "repair_paid_within_days": REPAIR_PAID_WITHIN_DAYS,
        "repair_cooldown_days": REPAIR_COOLDOWN_DAYS,
        "outcome_due_months": OUTCOME_DUE_MONTHS,
        "performance_months": PERFORMANCE_MONTHS,
        "bad_days_past_due": BAD_DAYS_PAST_DUE,
        "indeterminate_days_past_due": INDETERMINATE_DAYS_PAST_DUE,
    }
