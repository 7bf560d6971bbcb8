-- fct_previous_snapshots: for each user snapshotted at the report date, their latest earlier
-- snapshot (what "since the previous snapshot" compares against).
-- grain: one row per user with a snapshot at $report_date and one before; key user_id
-- Every registered user has a row at every snapshot date, so that is their row at the latest
-- snapshot date before the report date ($previous_snapshot_date): one date read, whatever the
-- history's length. Only a user without a row there (a registration moved later by a
-- correction) is looked for in the older dates.
-- parameters: $report_date, $previous_snapshot_date
with today as (
    select user_id
    from score_snapshots
    where snapshot_date = $report_date
),

at_previous as (
    select score_snapshots.*
    from score_snapshots
    semi join today
        on score_snapshots.user_id = today.user_id
    where score_snapshots.snapshot_date = $previous_snapshot_date
),

missing as (
    select today.user_id
    from today
    anti join at_previous
        on today.user_id = at_previous.user_id
),

older as (
    select score_snapshots.*
    from score_snapshots
    inner join missing
        on score_snapshots.user_id = missing.user_id
    where score_snapshots.snapshot_date < $previous_snapshot_date
    qualify row_number() over (
        partition by score_snapshots.user_id order by score_snapshots.snapshot_date desc
    ) = 1
),

final as (
    select * from at_previous
    union all
    select * from older
)

select * from final
