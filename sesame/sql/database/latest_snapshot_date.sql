-- latest_snapshot_date: the warehouse's latest snapshot date (null when it holds none).
-- depends on: snapshot_dates
select max(snapshot_date) as snapshot_date
from snapshot_dates
