-- fct_challenger_snapshots: a challenger card's snapshot rows of one scoring pass.
-- grain: one row per user registered by $snapshot_date; key (user_id, snapshot_date,
-- model_version)
-- The same requests and features as the champion's pass, scored by another card: the columns
-- of score_snapshots, never published as the user's score, so published_score is NULL.
-- depends on: challenger_scored (the challenger scorecard's output)
-- parameters: $challenger_version, $run_id
with scored as (
    select * from challenger_scored
    where is_snapshot
),

final as (
    select
        cast(user_id as bigint) as user_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(score as integer) as score,
        cast(credit_history as double) as credit_history,
        cast(identity as double) as identity,
        cast(capacity as double) as capacity,
        cast(behavior as double) as behavior,
        cast(relationships as double) as relationships,
        cast(tier as varchar) as tier,
        cast(benefits as varchar[]) as benefits,
        cast(null as integer) as published_score,
        cast(reasons as varchar[]) as reasons,
        cast($challenger_version as varchar) as model_version,
        cast($run_id as varchar) as run_id
    from scored
)

select * from final
