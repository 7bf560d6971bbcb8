-- stage_partition: the rows of one scored partition, staged (new_*) for its date's checks and
-- replace (publish/replace_date.sql): the snapshots, the aggregates, the refresh days scored
-- point in time, the repair decisions, and how many users each cause scored again (none on a
-- full night). Run while scored_requests is registered (sesame/scoring.py).
-- depends on: scored_requests, partition_snapshots, fct_user_features, int_repair_decisions,
-- int_rescored_users, score_requests
-- parameters: $snapshot_date, $model_version, $run_id

-- the refresh days scored point in time: later nights read them instead (see the DDL)
insert into new_refresh_day_scores by name
select
    user_id,
    snapshot_date as refresh_date,
    score,
    $model_version as model_version,
    $run_id as run_id
from scored_requests
where not is_snapshot;

insert into new_snapshots by name
select * from partition_snapshots;

create temp table if not exists new_features as
select
    * exclude (is_snapshot),
    '' as model_version,
    '' as run_id
from fct_user_features
where false;

insert into new_features by name
select
    * exclude (is_snapshot),
    $model_version as model_version,
    $run_id as run_id
from fct_user_features
where is_snapshot;

insert into new_repairs by name
select
    * exclude (snapshot_date),
    snapshot_date as decided_as_of,
    $run_id as run_id
from int_repair_decisions
where snapshot_date = $snapshot_date;

insert into new_rescored_causes
select
    rescored.why,
    coalesce(requests.friends_only, false) as friends_only,
    count(*) as users
from int_rescored_users as rescored
left join score_requests as requests
    on rescored.user_id = requests.user_id and requests.is_snapshot
group by rescored.why, coalesce(requests.friends_only, false);
