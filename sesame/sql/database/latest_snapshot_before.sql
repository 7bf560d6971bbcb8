-- latest_snapshot_before: the latest snapshot date before $snapshot_date (null when none is).
-- depends on: snapshot_dates
-- parameters: $snapshot_date
select max(snapshot_date) as snapshot_date
from snapshot_dates
where snapshot_date < $snapshot_date
