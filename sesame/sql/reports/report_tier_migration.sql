-- report_tier_migration: the tier migration matrix since each user's previous snapshot.
-- grain: one row per (previous_tier, tier) pair with at least one user; key
-- (report_date, previous_tier, tier). Users without an earlier snapshot count as 'new'.
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
        score_snapshots.user_id,
        score_snapshots.tier
    from score_snapshots
    inner join today
        on score_snapshots.user_id = today.user_id
    where score_snapshots.snapshot_date < $report_date
    qualify row_number() over (
        partition by score_snapshots.user_id order by score_snapshots.snapshot_date desc
    ) = 1
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
