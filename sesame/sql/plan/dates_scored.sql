-- dates_scored: the dates that hold a snapshot of $model_version already (the champion's in
-- snapshot_dates, a challenger's in challenger_snapshots): a run scores the others.
-- depends on: snapshot_dates, challenger_snapshots
-- parameters: $model_version
select snapshot_date
from snapshot_dates
where model_version = $model_version

union

select distinct snapshot_date
from challenger_snapshots
where model_version = $model_version
