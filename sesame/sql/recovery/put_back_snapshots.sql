-- put_back_snapshots: $day's snapshots (just scored again by a rebuild) replaced by the
-- published ones of its Parquet copy ($path), and its snapshot_dates row by theirs: a rebuild
-- changes no published score (sesame/recovery.py, put_back_kept_snapshots).
-- depends on: score_snapshots, snapshot_dates, the date's Parquet copy
-- parameters: $day, $path
delete from score_snapshots
where snapshot_date = $day;

insert into score_snapshots by name
select
    *,
    $day::date as snapshot_date
from read_parquet($path, hive_partitioning = false)
order by user_id;

with kept as (
    select
        any_value(model_version) as model_version,
        count(*) as users,
        count(*) filter (where score is null) as unscorable,
        max(run_id) as run_id
    from score_snapshots
    where snapshot_date = $day
)

update snapshot_dates set
    model_version = kept.model_version,
    users = kept.users,
    users_unscorable = kept.unscorable,
    run_id = kept.run_id
from kept
where snapshot_date = $day;
