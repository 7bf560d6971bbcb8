-- latest_snapshot: the latest snapshot date and the model version that scored it (one row, both
-- null on a new warehouse): a night is incremental only from the day before, by the same card.
-- depends on: snapshot_dates
select
    max(snapshot_date) as snapshot_date,
    arg_max(model_version, snapshot_date) as model_version
from snapshot_dates
