-- partition_cuts: the user_ids that cut the users registered by the end of $snapshot_date into
-- partitions of about as many users each, one per fraction of $fractions, each the last of its
-- partition (sesame/partitions.py, user_ranges); null when no user is registered by then.
-- depends on: stg_users
-- parameters: $fractions, $snapshot_date
select quantile_disc(user_id, $fractions) as cuts
from stg_users
where registered_at < day_end($snapshot_date)
