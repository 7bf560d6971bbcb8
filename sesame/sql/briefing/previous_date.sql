-- previous_date: the champion's latest snapshot date before the date.
-- parameters: $d, $champion
select max(snapshot_date) as previous_date
from snapshot_dates
where snapshot_date < $d and model_version = $champion
