-- rescored_cuts: the user_ids that cut the users an incremental night scores again
-- (night_rescored_users) into partitions of about as many of them each, one per fraction of
-- $fractions (sesame/partitions.py, rescored_ranges); null when it scores nobody again.
-- depends on: night_rescored_users
-- parameters: $fractions
select quantile_disc(user_id, $fractions) as cuts
from night_rescored_users
