-- stored: the outcomes of the month-end $snapshot_date stored by an earlier night from the same
-- inputs ($basis: marts/fct_outcome_basis.sql); none when the inputs changed since.
-- depends on: validation_outcomes, validation_outcome_bases
-- parameters: $snapshot_date, $basis
with known as (
    select distinct
        snapshot_date,
        basis
    from validation_outcome_bases
    where
        snapshot_date = $snapshot_date
        and basis = $basis
)

select
    validation_outcomes.user_id,
    validation_outcomes.outcome,
    validation_outcomes.worst_days_past_due,
    validation_outcomes.has_credit_bill_due
from validation_outcomes
inner join known
    on
        validation_outcomes.snapshot_date = known.snapshot_date
        and validation_outcomes.basis = known.basis
