-- champion: the model version that scored the date.
-- parameters: $report_date
select model_version
from snapshot_dates
where snapshot_date = $report_date
