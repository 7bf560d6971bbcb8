-- fct_score_drops: users whose score fell since their previous snapshot, with what is behind it.
-- grain: one row per user whose score at $report_date is lower than at their latest earlier
-- snapshot; key (report_date, user_id)
-- The base of report_score_drops: this model finds the users, the dimensions that fell and the
-- new events dated after the previous snapshot and up to the end of the report date; the
-- characteristics' point changes (which sum to the drop) are computed from
-- fct_score_drop_features by the Polars step (sesame/transforms/drops.py).
-- depends on: score_snapshots, fct_previous_snapshots, fct_user_events
-- parameters: $report_date
with today as (
    select
        user_id,
        score,
        credit_history,
        identity,
        capacity,
        behavior,
        relationships
    from score_snapshots
    where snapshot_date = $report_date and score is not null
),

previous as (
    select
        user_id,
        snapshot_date,
        score,
        credit_history,
        identity,
        capacity,
        behavior,
        relationships
    from fct_previous_snapshots
),

drops as (
    select
        today.user_id,
        previous.snapshot_date as previous_date,
        previous.score as previous_score,
        today.score,
        previous.score - today.score as score_drop,
        list_concat(
            case when today.credit_history < previous.credit_history then ['credit_history'] else [] end,
            case when today.identity < previous.identity then ['identity'] else [] end,
            case when today.capacity < previous.capacity then ['capacity'] else [] end,
            case when today.behavior < previous.behavior then ['behavior'] else [] end,
            case when today.relationships < previous.relationships then ['relationships'] else [] end
        ) as dimensions_fell
    from today
    inner join previous
        on today.user_id = previous.user_id
    where today.score < previous.score
),

-- the events dated after the previous snapshot and up to the end of the report date; an
-- overdue bill is dated at the end of its due date (fct_user_events), so a bill due on the
-- previous snapshot's day counts and one due on the report date does not yet
new_events as (
    select
        drops.user_id,
        list(fct_user_events.event_id order by fct_user_events.event_id)
        filter (where fct_user_events.event_kind = 'overdue_bill') as bill_ids,
        list(fct_user_events.event_id order by fct_user_events.event_id)
        filter (where fct_user_events.event_kind = 'negative_record') as record_ids,
        list(fct_user_events.event_id order by fct_user_events.event_id)
        filter (where fct_user_events.event_kind = 'profile_change') as change_ids,
        list(fct_user_events.event_id order by fct_user_events.event_id)
        filter (where fct_user_events.event_kind = 'loan_application') as application_ids,
        list(fct_user_events.event_id order by fct_user_events.event_id)
        filter (where fct_user_events.event_kind = 'risk_event') as risk_event_ids
    from drops
    inner join fct_user_events
        on
            drops.user_id = fct_user_events.user_id
            and fct_user_events.event_at >= day_end(drops.previous_date)
            and fct_user_events.event_at < day_end($report_date)
    group by drops.user_id
),

final as (
    select
        cast($report_date as date) as report_date,
        cast(drops.user_id as bigint) as user_id,
        cast(drops.previous_date as date) as previous_date,
        cast(drops.previous_score as integer) as previous_score,
        cast(drops.score as integer) as score,
        cast(drops.score_drop as integer) as score_drop,
        cast(drops.dimensions_fell as varchar[]) as dimensions_fell,
        cast(coalesce(new_events.bill_ids, []) as bigint[]) as new_overdue_bill_ids,
        cast(coalesce(new_events.record_ids, []) as bigint[]) as new_negative_record_ids,
        cast(coalesce(new_events.change_ids, []) as bigint[]) as new_profile_change_ids,
        cast(coalesce(new_events.application_ids, []) as bigint[]) as new_loan_application_ids,
        cast(coalesce(new_events.risk_event_ids, []) as bigint[]) as new_risk_event_ids
    from drops
    left join new_events on drops.user_id = new_events.user_id
)

select * from final
