-- snapshot_copy: the snapshots of $snapshot_date as its Parquet copy beside the database holds
-- them: every column but the date (the copy's folder names it), by user_id.
-- depends on: score_snapshots
-- parameters: $snapshot_date
select * exclude (snapshot_date)
from score_snapshots
where snapshot_date = $snapshot_date
order by user_id
