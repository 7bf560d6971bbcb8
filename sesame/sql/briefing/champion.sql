-- champion: the model version that scored the date.
-- parameters: $d
select model_version
from snapshot_dates
where snapshot_date = $d
