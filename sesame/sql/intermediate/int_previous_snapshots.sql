-- int_previous_snapshots: for each user snapshotted at the report date, their latest earlier
-- snapshot (what "since the previous snapshot" compares against).
-- grain: one row per user with a snapshot at $report_date and one before; key user_id
-- parameters: $report_date
with today as (
    select user_id
    from score_snapshots
    where snapshot_date = $report_date
),

final as (
    select score_snapshots.*
    from score_snapshots
    inner join today
        on score_snapshots.user_id = today.user_id
    where score_snapshots.snapshot_date < $report_date
    qualify row_number() over (
        partition by score_snapshots.user_id order by score_snapshots.snapshot_date desc
    ) = 1
)

select * from final
