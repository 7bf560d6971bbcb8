-- fct_score_drop_features: the features of the users whose score fell, at the report date and
-- at their previous snapshot, for the Polars step that splits each drop into the
-- characteristics' point changes (sesame/transforms/drops.py).
-- grain: one row per (user_id, snapshot_date) of fct_score_drops' users in $user_from..$user_to,
-- at their previous_date and at the report date; key (user_id, snapshot_date)
-- The condition on snapshot_date alone lets the scan of dimension_aggregates skip the row groups
-- of other dates before it joins.
-- depends on: dimension_aggregates, fct_score_drops
-- parameters: $user_from, $user_to
with drop_dates as (
    select previous_date as snapshot_date from fct_score_drops
    union
    select report_date as snapshot_date from fct_score_drops
),

final as (
    select dimension_aggregates.*
    from dimension_aggregates
    inner join fct_score_drops
        on
            dimension_aggregates.user_id = fct_score_drops.user_id
            and dimension_aggregates.snapshot_date in (
                fct_score_drops.previous_date, fct_score_drops.report_date
            )
    where
        dimension_aggregates.snapshot_date in (select drop_dates.snapshot_date from drop_dates)
        and fct_score_drops.user_id between $user_from and $user_to
)

select * from final
