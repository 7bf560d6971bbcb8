-- report_tier_changes: users whose tier or benefits changed since their previous snapshot.
-- grain: one row per user whose tier or benefits at $report_date differ from their latest
-- earlier snapshot; key (report_date, user_id). Users without an earlier snapshot are new,
-- not changed, and are left out.
-- (noqa RF02: `benefit` is a lambda's own variable, not a column.)
-- depends on: fct_previous_snapshots
-- parameters: $report_date
with today as (
    select
        user_id,
        score,
        tier,
        benefits
    from score_snapshots
    where snapshot_date = $report_date
),

previous as (
    select
        user_id,
        snapshot_date,
        score,
        tier,
        benefits
    from fct_previous_snapshots
),

final as (
    select
        cast($report_date as date) as report_date,
        cast(today.user_id as bigint) as user_id,
        cast(previous.snapshot_date as date) as previous_date,
        cast(previous.score as integer) as previous_score,
        cast(today.score as integer) as score,
        cast(previous.tier as varchar) as previous_tier,
        cast(today.tier as varchar) as tier,
        cast(
            list_filter(
                today.benefits, lambda benefit: not list_contains(previous.benefits, benefit)  -- noqa: RF02
            ) as varchar[]
        ) as benefits_gained,
        cast(
            list_filter(
                previous.benefits, lambda benefit: not list_contains(today.benefits, benefit)  -- noqa: RF02
            ) as varchar[]
        ) as benefits_lost
    from today
    inner join previous
        on today.user_id = previous.user_id
    where today.tier != previous.tier or today.benefits != previous.benefits
)

select * from final
