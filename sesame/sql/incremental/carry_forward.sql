-- carry_forward: for the partition's users an incremental night does not score again (not in
-- int_rescored_users), their rows of the previous date ($previous_date) staged as rows of the
-- snapshot date, after the scored ones (sesame/incremental.py decides when a night may be
-- incremental). carried_from keeps the date the row was computed for.
-- depends on: score_snapshots, dimension_aggregates, repair_decisions, challenger_snapshots,
-- int_rescored_users, score_requests
-- parameters: $snapshot_date, $previous_date, $run_id, $user_from, $user_to, $challengers (the
-- challenger cards' model versions, a list)
insert into new_snapshots by name
select
    * replace (
        $snapshot_date as snapshot_date,
        $run_id as run_id,
        coalesce(carried_from, snapshot_date) as carried_from
    )
from score_snapshots
where
    snapshot_date = $previous_date
    and user_id between $user_from and $user_to
    and user_id not in (select rescored.user_id from int_rescored_users as rescored);

insert into new_features by name
select * replace ($snapshot_date as snapshot_date, $run_id as run_id)
from dimension_aggregates
where
    snapshot_date = $previous_date
    and user_id between $user_from and $user_to
    and user_id not in (select rescored.user_id from int_rescored_users as rescored);

-- the repair decisions of the carried users and of the friends_only ones (scored again, their
-- bills and requests unchanged: int_repair_decisions did not decide for them); a user scored
-- again without a request (their users row taken out, or registered after D) has none
insert into new_repairs by name
select * replace ($snapshot_date as decided_as_of, $run_id as run_id)
from repair_decisions
where
    decided_as_of = $previous_date
    and user_id between $user_from and $user_to
    and (
        user_id not in (select rescored.user_id from int_rescored_users as rescored)
        or user_id in (
            select carried.user_id
            from score_requests as carried
            where carried.friends_only
        )
    );

insert into new_challenger_snapshots by name
select
    * replace (
        $snapshot_date as snapshot_date,
        $run_id as run_id,
        coalesce(carried_from, snapshot_date) as carried_from
    )
from challenger_snapshots
where
    snapshot_date = $previous_date
    and list_contains(cast($challengers as varchar[]), model_version)
    and user_id between $user_from and $user_to
    and user_id not in (select rescored.user_id from int_rescored_users as rescored);
