-- fct_score_drop_ranges: fct_score_drops' users cut into ranges of $users_per_range users, for
-- the Polars step that computes their point changes one range at a time (sesame/reports.py).
-- grain: one row per range; key range_number
-- depends on: fct_score_drops
-- parameters: $users_per_range
with numbered as (
    select
        user_id,
        (row_number() over (order by user_id) - 1) // $users_per_range as range_number
    from fct_score_drops
),

final as (
    select
        range_number,
        min(user_id) as user_from,
        max(user_id) as user_to
    from numbered
    group by range_number
)

select * from final
order by range_number
