-- report_tier_migration: the tier migration matrix since each user's previous snapshot.
-- grain: one row per (previous_tier, tier) pair with at least one user; key
-- (report_date, previous_tier, tier). Users without an earlier snapshot count as 'new'.
-- depends on: fct_previous_snapshots
-- parameters: $report_date
with today as (
    select
        user_id,
        tier
    from score_snapshots
    where snapshot_date = $report_date
),

previous as (
    select
        user_id,
        tier
    from fct_previous_snapshots
),

final as (
    select
        cast($report_date as date) as report_date,
        cast(coalesce(previous.tier, 'new') as varchar) as previous_tier,
        cast(today.tier as varchar) as tier,
        cast(count(*) as bigint) as users
    from today
    left join previous
        on today.user_id = previous.user_id
    group by all
)

select * from final
