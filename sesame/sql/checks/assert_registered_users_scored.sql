-- assert_registered_users_scored: every user registered by the date has a snapshot at it, scored
-- or carried from the day before (the converse of assert_snapshot_users_known).
-- A failure means a user registered by the date was left out of its snapshots (an incremental
-- night that neither scored nor carried them).
-- parameters: $snapshot_date
select
    stg_users.user_id,
    stg_users.registered_at
from stg_users
left join new_snapshots
    on stg_users.user_id = new_snapshots.user_id
where
    stg_users.registered_at < day_end($snapshot_date)
    and new_snapshots.user_id is null
