-- has_snapshot: whether the warehouse holds snapshots of $snapshot_date.
-- depends on: snapshot_dates
-- parameters: $snapshot_date
select exists (
    from snapshot_dates
    where snapshot_date = $snapshot_date
) as has_snapshot
