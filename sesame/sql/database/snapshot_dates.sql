-- snapshot_dates: every date the database holds snapshots of (in no order), for what it keeps
-- (sesame/retention.py, prune_history).
-- depends on: snapshot_dates
select snapshot_date
from snapshot_dates
