-- int_score_requests: the (user, date) pairs one scoring pass computes.
-- grain: one row per (user_id, snapshot_date)
-- Every user registered by $snapshot_date is scored at $snapshot_date (is_snapshot). A user with
-- a score_refresh_day sees the score of their latest refresh day: when that day lies before
-- $snapshot_date, after registration, and neither a snapshot nor a stored refresh day score
-- (refresh_day_scores) of this model holds it, the user is also scored at that day (point in
-- time), so published_score never needs a score that is not there.
-- An incremental night ($previous_date set) asks only for the users of int_rescored_users; the
-- others' rows of $previous_date are carried forward (sesame/incremental.py).
-- friends_only: the user is scored again only because a friend's published score changed
-- (int_rescored_users.why = 'friend_score', the cause of last priority) and has no refresh day
-- to score: nothing but the relationships dimension can differ from $previous_date, so only it
-- is computed again (the other feature models skip the request; int_features_carried takes
-- their columns from dimension_aggregates at $previous_date). $friends_only_rescore false (a full
-- night, or a challenger with other windows) computes every dimension of every request.
-- parameters: $snapshot_date, $previous_date, $model_version, $user_from, $user_to (the
-- partition's user ids), $friends_only_rescore
with users as (
    select
        user_id,
        registered_at,
        score_refresh_day
    from stg_users
    where
        registered_at < day_end($snapshot_date)
        and user_id between $user_from and $user_to
        and (
            $previous_date is null
            or user_id in (select int_rescored_users.user_id from int_rescored_users)
        )
),

stored_snapshots as (
    select
        user_id,
        snapshot_date
    from score_snapshots
    where
        model_version = $model_version
        and snapshot_date >= earliest_refresh_date($snapshot_date)
    union all
    select
        user_id,
        refresh_date as snapshot_date
    from refresh_day_scores
    where
        model_version = $model_version
        and refresh_date >= earliest_refresh_date($snapshot_date)
),

refresh_days as (
    select
        user_id,
        registered_at,
        score_refresh_date(cast($snapshot_date as date), score_refresh_day) as refresh_date
    from users
),

refresh_requests as (
    select
        refresh_days.user_id,
        refresh_days.refresh_date as snapshot_date
    from refresh_days
    left join stored_snapshots
        on
            refresh_days.user_id = stored_snapshots.user_id
            and refresh_days.refresh_date = stored_snapshots.snapshot_date
    where
        refresh_days.refresh_date < cast($snapshot_date as date)
        and refresh_days.refresh_date >= cast(refresh_days.registered_at as date)
        and stored_snapshots.user_id is null
),

friends_only_users as (
    select int_rescored_users.user_id
    from int_rescored_users
    where int_rescored_users.why = 'friend_score' and $friends_only_rescore
    except
    select refresh_requests.user_id
    from refresh_requests
),

final as (
    select
        cast(users.user_id as bigint) as user_id,
        cast($snapshot_date as date) as snapshot_date,
        true as is_snapshot,
        users.user_id in (select friends_only_users.user_id from friends_only_users)
            as friends_only
    from users
    union all
    select
        cast(user_id as bigint) as user_id,
        cast(snapshot_date as date) as snapshot_date,
        false as is_snapshot,
        false as friends_only
    from refresh_requests
)

select * from final
