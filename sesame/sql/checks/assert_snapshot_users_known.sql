-- assert_snapshot_users_known: every scored user is a known user registered by the date.
-- A failure means a snapshot row has no user behind it, or a user scored before registering.
select
    new_snapshots.user_id,
    new_snapshots.snapshot_date
from new_snapshots
left join stg_users
    on new_snapshots.user_id = stg_users.user_id
where
    stg_users.user_id is null
    or stg_users.registered_at >= day_end(new_snapshots.snapshot_date)
