-- partition_rescored_users: one partition's int_rescored_users, taken from the night's
-- (night_rescored_users, int_rescored_users run once for every user; sesame/scoring.py).
-- grain: one row per user_id in $user_from..$user_to
-- depends on: night_rescored_users
-- parameters: $user_from, $user_to
select
    user_id,
    why
from night_rescored_users
where user_id between $user_from and $user_to
