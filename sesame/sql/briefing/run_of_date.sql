-- run_of_date: the run that scored the date with the champion.
-- parameters: $report_date, $model_version
select run_id
from snapshot_dates
where snapshot_date = $report_date and model_version = $model_version
