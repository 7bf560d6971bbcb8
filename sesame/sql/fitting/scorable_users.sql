-- scorable_users: how many users the snapshot of $snapshot_date scored (their aggregates
-- scorable): none, and `sesame fit` asks for a backfill of that date first.
-- depends on: dimension_aggregates
-- parameters: $snapshot_date
select count(*) as users
from dimension_aggregates
where
    snapshot_date = $snapshot_date
    and is_scorable
