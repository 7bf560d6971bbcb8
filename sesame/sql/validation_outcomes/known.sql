-- known: whether an earlier night stored the outcomes of the month-end $snapshot_date from the
-- same inputs ($basis: marts/fct_outcome_basis.sql), so that they are read back (stored.sql),
-- even when there are none (no user scorable at S), rather than computed again.
-- depends on: validation_outcome_bases
-- parameters: $snapshot_date, $basis
select count(*) > 0 as is_known
from validation_outcome_bases
where
    snapshot_date = $snapshot_date
    and basis = $basis
