-- replace_date: one scored date's staged rows (new_*) replace that date's rows in the
-- warehouse's tables, so that scoring a date again never duplicates anything. Run after the
-- checks passed (sql/checks), inside the run's copy of the warehouse (published as a whole).
-- parameters: $snapshot_date, $model_version, $run_id, $replace_repairs (true when the date is
-- the latest the repair decisions were made for: the table shows the latest date's decisions)
create table if not exists dimension_aggregates as
select * from new_features
where false;

delete from score_snapshots
where snapshot_date = $snapshot_date;

insert into score_snapshots by name select * from new_snapshots
order by user_id;

delete from dimension_aggregates
where snapshot_date = $snapshot_date;

insert into dimension_aggregates by name select * from new_features
order by user_id;

-- a snapshot of a day is what counts for it: refresh day scores of the day give way to it
delete from refresh_day_scores
where refresh_date = $snapshot_date and model_version = $model_version;

insert into refresh_day_scores by name select * from new_refresh_day_scores;

-- a challenger's rows of the date give way to the same challenger's new ones
delete from challenger_snapshots
where
    snapshot_date = $snapshot_date
    and model_version in (select distinct model_version from new_challenger_snapshots);

insert into challenger_snapshots by name select * from new_challenger_snapshots
order by user_id;

delete from repair_decisions
where $replace_repairs;

insert into repair_decisions by name
select * from new_repairs
where $replace_repairs
order by request_id;

delete from snapshot_dates
where snapshot_date = $snapshot_date;

insert into snapshot_dates by name
select
    cast($snapshot_date as date) as snapshot_date,
    $model_version as model_version,
    count(*) as users,
    count(*) filter (where score is null) as users_unscorable,
    $run_id as run_id,
    current_localtimestamp() as computed_at
from new_snapshots;
