-- rescored_users: how many users an incremental night scores again (night_rescored_users, the
-- night's int_rescored_users for every user; sesame/partitions.py, rescored_ranges).
-- depends on: night_rescored_users
select count(*) as users
from night_rescored_users
