-- stored: the outcomes of the month-end $snapshot_date stored by an earlier night from the same
-- inputs ($basis: marts/fct_outcome_basis.sql); read when known.sql says they are there.
-- depends on: validation_outcomes
-- parameters: $snapshot_date, $basis
select
    user_id,
    outcome,
    worst_days_past_due,
    has_credit_bill_due
from validation_outcomes
where
    snapshot_date = $snapshot_date
    and basis = $basis
