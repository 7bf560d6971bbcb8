-- users_registered: how many users were registered by the end of $snapshot_date (none: the
-- exports do not reach back to it).
-- depends on: stg_users
-- parameters: $snapshot_date
select count(*) as users
from stg_users
where registered_at < day_end($snapshot_date)
