-- rescored_cuts: the user_ids that cut the users registered by the end of $snapshot_date whom
-- an incremental night scores again (night_rescored_users) into partitions of about as many of
-- them each, one per fraction of $fractions, each the last of its partition
-- (sesame/partitions.py, rescored_ranges); null when it scores nobody again.
-- depends on: night_rescored_users, stg_users
-- parameters: $fractions, $snapshot_date
select quantile_disc(user_id, $fractions) as cuts
from night_rescored_users
where user_id in (
    select stg_users.user_id
    from stg_users
    where stg_users.registered_at < day_end($snapshot_date)
)
