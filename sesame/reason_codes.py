"""The contract's reason codes, each with the plain words a user reads."""

from __future__ import annotations

REASON_TEXT: dict[str, str] = {
    "incomplete_profile": "Your profile is incomplete.",
    "frequent_phone_change": "You changed your phone number often in the last 12 months.",
    "frequent_address_change": "You changed your address often in the last 12 months.",
    "unconfirmed_receipts": "You rarely confirm receipt of your orders yourself.",
    "no_living_payments": "You do not pay utility, phone or rent bills through the platform.",
    "no_credit_usage": "You use and repay huabei or jiebei little or not at all.",
    "no_card_repayment": "You do not repay a bound credit card through the platform.",
    "overdue_payments": "You paid bills late or have overdue bills.",
    "deliberate_default": "You chose not to pay a bill you could pay.",
    "negative_record_legal": "You are on a court's list of dishonest debtors.",
    "negative_record_financial": "A lender reported an overdue loan or card of yours.",
    "negative_record_life": "You have an unpaid fee, no-show or rental record.",
    "short_history": "Your credit history is short.",
    "low_assets": "You have few assets on record.",
    "unstable_income": "Your income is irregular.",
    "low_activity": "You use the platform rarely.",
    "low_network_credit": "Your friends' credit is not high.",
    "abnormal_borrowing": "You applied for many loans in the last 30 days.",
    "platform_violation": "You broke the platform's rules.",
}

REASON_CODES: tuple[str, ...] = tuple(REASON_TEXT)

# The adverse facts of the contract's reason rule (section 3, version 2): a user who differs
# from a user with no negative facts by one of these alone must be told it. Each is present
# when its characteristics cost the user points: "below_best" for a count of bad events (one is
# already a fact: an overdue, a record, a change, a violation), "at_worst" for the lack of a
# good habit (no living payments at all, receipts left to the system), which is a fact only
# at the characteristic's worst points, not at a few months short of its best.
ADVERSE_FACTS: dict[str, str] = {
    "overdue_payments": "below_best",
    "deliberate_default": "below_best",
    "negative_record_legal": "below_best",
    "negative_record_financial": "below_best",
    "negative_record_life": "below_best",
    "frequent_phone_change": "below_best",
    "frequent_address_change": "below_best",
    "platform_violation": "below_best",
    "unconfirmed_receipts": "at_worst",
    "no_living_payments": "at_worst",
}


def reason_text(code: str) -> str:
    """The plain words of a reason code (the code itself for one the contract does not list)."""
    return REASON_TEXT.get(code, code)
