-- previous_date: the champion's latest snapshot date before the date.
-- parameters: $report_date, $champion
select max(snapshot_date) as previous_date
from snapshot_dates
where snapshot_date < $report_date and model_version = $champion
