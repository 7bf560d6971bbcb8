-- report_score_drops: users whose score fell since their previous snapshot, with what is behind it.
-- grain: one row per user whose score at $report_date is lower than at their latest earlier
-- snapshot; key (report_date, user_id)
-- The characteristics' point changes (which sum to the drop) are added by the Polars step
-- (sesame/transforms/drops.py); this model finds the users, the dimensions that fell and the
-- new events dated after the previous snapshot and up to the end of the report date.
-- depends on: fct_previous_snapshots
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

-- bills that went overdue in the period: due after the previous snapshot (or on its day) and
-- not paid in full by the end of their due date, as known at the report date
new_overdue_bills as (
    select
        drops.user_id,
        list(stg_bills.bill_id order by stg_bills.bill_id) as bill_ids
    from drops
    inner join stg_bills
        on
            drops.user_id = stg_bills.user_id
            and drops.previous_date <= stg_bills.due_date
            and stg_bills.due_date < cast($report_date as date)
            and stg_bills.bill_id not in (
                select repair_decisions.bill_id from repair_decisions
                where repair_decisions.decision = 'approved'
            )
            and not coalesce(
                stg_bills.paid_at < day_end(stg_bills.due_date)
                and stg_bills.amount_paid >= stg_bills.amount_due,
                false
            )
    group by drops.user_id
),

new_records as (
    select
        drops.user_id,
        list(stg_negative_records.record_id order by stg_negative_records.record_id) as ids
    from drops
    inner join stg_negative_records
        on
            drops.user_id = stg_negative_records.user_id
            and stg_negative_records.occurred_at >= day_end(drops.previous_date)
            and stg_negative_records.occurred_at < day_end($report_date)
            and not stg_negative_records.removed_on_appeal
    group by drops.user_id
),

new_profile_changes as (
    select
        drops.user_id,
        list(stg_profile_changes.change_id order by stg_profile_changes.change_id) as ids
    from drops
    inner join stg_profile_changes
        on
            drops.user_id = stg_profile_changes.user_id
            and stg_profile_changes.changed_at >= day_end(drops.previous_date)
            and stg_profile_changes.changed_at < day_end($report_date)
    group by drops.user_id
),

new_applications as (
    select
        drops.user_id,
        list(
            stg_loan_applications.application_id order by stg_loan_applications.application_id
        ) as ids
    from drops
    inner join stg_loan_applications
        on
            drops.user_id = stg_loan_applications.user_id
            and stg_loan_applications.applied_at >= day_end(drops.previous_date)
            and stg_loan_applications.applied_at < day_end($report_date)
    group by drops.user_id
),

new_risk_events as (
    select
        drops.user_id,
        list(stg_risk_events.event_id order by stg_risk_events.event_id) as ids
    from drops
    inner join stg_risk_events
        on
            drops.user_id = stg_risk_events.user_id
            and stg_risk_events.event_ts >= day_end(drops.previous_date)
            and stg_risk_events.event_ts < day_end($report_date)
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
        cast(coalesce(new_overdue_bills.bill_ids, []) as bigint[]) as new_overdue_bill_ids,
        cast(coalesce(new_records.ids, []) as bigint[]) as new_negative_record_ids,
        cast(coalesce(new_profile_changes.ids, []) as bigint[]) as new_profile_change_ids,
        cast(coalesce(new_applications.ids, []) as bigint[]) as new_loan_application_ids,
        cast(coalesce(new_risk_events.ids, []) as bigint[]) as new_risk_event_ids
    from drops
    left join new_overdue_bills on drops.user_id = new_overdue_bills.user_id
    left join new_records on drops.user_id = new_records.user_id
    left join new_profile_changes on drops.user_id = new_profile_changes.user_id
    left join new_applications on drops.user_id = new_applications.user_id
    left join new_risk_events on drops.user_id = new_risk_events.user_id
)

select * from final
