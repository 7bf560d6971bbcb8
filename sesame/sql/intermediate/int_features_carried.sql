-- int_features_carried: for the friends_only requests of an incremental night (int_score_requests:
-- only a friend's published score changed), every dimension's aggregates but the relationships
-- ones, as dimension_aggregates holds them at $previous_date: nothing they are computed from
-- changed (int_rescored_users lists every other cause). fct_user_features adds the
-- relationships dimension, computed again.
-- grain: one row per friends_only request of score_requests; key (user_id, snapshot_date)
-- Made only on an incremental night (sesame/scoring.py): a full night has no friends_only
-- request, and its stand-in is an empty table.
-- depends on: score_requests, dimension_aggregates
-- parameters: $snapshot_date, $previous_date, $model_version
with requests as (
    select
        user_id,
        snapshot_date,
        is_snapshot
    from score_requests
    where friends_only
),

-- every user's aggregates of the previous date but the relationships ones, as of D
previous as (
    select
        * exclude (open_friends, scored_friends, friends_mean_score, is_scorable, model_version, run_id)
        replace (cast($snapshot_date as date) as snapshot_date)
    from dimension_aggregates
    where
        snapshot_date = cast($previous_date as date)
        and model_version = $model_version
),

final as (
    select
        previous.*,
        requests.is_snapshot
    from requests
    inner join previous
        on
            requests.user_id = previous.user_id
            and requests.snapshot_date = previous.snapshot_date
)

select * from final
