-- run_of_date: the run that scored the date with the champion.
-- parameters: $d, $m
select run_id
from snapshot_dates
where snapshot_date = $d and model_version = $m
