-- rescored_users: how many users registered by the end of $snapshot_date an incremental night
-- scores again (night_rescored_users, the night's int_rescored_users for every user, which also
-- lists users of rows delivered before their users row; sesame/partitions.py, rescored_ranges).
-- depends on: night_rescored_users, stg_users
-- parameters: $snapshot_date
select count(*) as users
from night_rescored_users
where user_id in (
    select stg_users.user_id
    from stg_users
    where stg_users.registered_at < day_end($snapshot_date)
)
