-- newest_snapshot_row: a warehouse file's latest snapshot date and the model that scored it, as
-- the row of snapshot_dates with the latest date (no row when it holds none), for its backup
-- listing and a restore (sesame/recovery.py, _contents).
-- depends on: snapshot_dates
select
    snapshot_date,
    model_version
from snapshot_dates
order by snapshot_date desc
limit 1
