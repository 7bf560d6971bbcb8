-- fct_score_snapshots: the snapshot rows of one scoring pass, ready to publish.
-- grain: one row per user registered by $snapshot_date; key (user_id, snapshot_date)
-- published_score is the score the user sees: the score of their latest score_refresh_day on or
-- before the date (nightly, i.e. this score, when the refresh day is null). A user registered
-- after that refresh day sees this score at once. The score of an earlier refresh day comes from
-- this pass (scored_requests with is_snapshot false), from a stored snapshot of this model, or
-- from refresh_day_scores (an earlier pass's point-in-time score of that day); int_score_requests
-- asks for a day only when neither table holds it, so each (user, day) comes from one place.
-- depends on: scored_requests (the scorecard's output), stg_users, score_snapshots,
-- refresh_day_scores
-- parameters: $snapshot_date, $model_version, $run_id
with scored as (
    select * from scored_requests
),

today as (
    select
        scored.*,
        score_refresh_date(scored.snapshot_date, stg_users.score_refresh_day) as refresh_date,
        cast(stg_users.registered_at as date) as registered_date
    from scored
    inner join stg_users
        on scored.user_id = stg_users.user_id
    where scored.is_snapshot
),

refresh_scores as (
    select
        user_id,
        snapshot_date,
        score
    from scored
    where not is_snapshot
    union all
    select
        user_id,
        snapshot_date,
        score
    from score_snapshots
    where
        model_version = $model_version
        and snapshot_date < cast($snapshot_date as date)
        and snapshot_date >= earliest_refresh_date($snapshot_date)
    union all
    select
        user_id,
        refresh_date as snapshot_date,
        score
    from refresh_day_scores
    where
        model_version = $model_version
        and refresh_date < cast($snapshot_date as date)
        and refresh_date >= earliest_refresh_date($snapshot_date)
),

final as (
    select
        cast(today.user_id as bigint) as user_id,
        cast(today.snapshot_date as date) as snapshot_date,
        cast(today.score as integer) as score,
        cast(today.credit_history as double) as credit_history,
        cast(today.identity as double) as identity,
        cast(today.capacity as double) as capacity,
        cast(today.behavior as double) as behavior,
        cast(today.relationships as double) as relationships,
        cast(today.tier as varchar) as tier,
        cast(today.benefits as varchar[]) as benefits,
        cast(
            case
                when
                    today.refresh_date is null
                    or today.refresh_date = today.snapshot_date
                    or today.refresh_date < today.registered_date
                    then today.score
                else refresh_scores.score
            end as integer
        ) as published_score,
        cast(today.reasons as varchar[]) as reasons,
        cast($model_version as varchar) as model_version,
        cast($run_id as varchar) as run_id
    from today
    left join refresh_scores
        on
            today.user_id = refresh_scores.user_id
            and today.refresh_date = refresh_scores.snapshot_date
)

select * from final
