-- user_aggregates: user $user_id's dimension aggregates of the snapshot of $snapshot_date (0 or
-- 1 row), which its points are scored again from.
-- depends on: dimension_aggregates
-- parameters: $user_id, $snapshot_date
select * from dimension_aggregates
where
    user_id = $user_id
    and snapshot_date = $snapshot_date
