-- fct_user_events: the dated events a report names, one shape for every kind, so that reports
-- read a mart rather than the staged exports.
-- grain: one row per event; key (event_kind, event_id)
-- event_kind        overdue_bill: a bill not paid in full by the end of its due date and not
--                   repaired (an approved repair counts as paid on time), dated at that end;
--                   negative_record: a record of fct_negative_records, at occurred_at;
--                   profile_change, loan_application, risk_event: at their own time
-- event_at          when the event happened: it counts at a date D when event_at < day_end(D)
-- amount            a loan application's amount (CNY); null for the other kinds
-- detail            a risk event's kind; null for the other kinds
-- A view, not a table (sqlmodels.define_view): its readers join it to the few users they
-- report on, and DuckDB pushes that join into the scans.
with overdue_bills as (
    select
        'overdue_bill' as event_kind,
        bill_id as event_id,
        user_id,
        day_end(due_date) as event_at,
        null as amount,
        null as detail
    from stg_bills
    where
        not coalesce(paid_at < day_end(due_date) and amount_paid >= amount_due, false)
        and bill_id not in (
            select repair_decisions.bill_id from repair_decisions
            where repair_decisions.decision = 'approved'
        )
),

negative_records as (
    select
        'negative_record' as event_kind,
        record_id as event_id,
        user_id,
        occurred_at as event_at,
        null as amount,
        null as detail
    from fct_negative_records
),

profile_changes as (
    select
        'profile_change' as event_kind,
        change_id as event_id,
        user_id,
        changed_at as event_at,
        null as amount,
        null as detail
    from stg_profile_changes
),

loan_applications as (
    select
        'loan_application' as event_kind,
        application_id as event_id,
        user_id,
        applied_at as event_at,
        amount,
        null as detail
    from stg_loan_applications
),

risk_events as (
    select
        'risk_event' as event_kind,
        event_id,
        user_id,
        event_ts as event_at,
        null as amount,
        kind as detail
    from stg_risk_events
),

events as (
    select * from overdue_bills
    union all
    select * from negative_records
    union all
    select * from profile_changes
    union all
    select * from loan_applications
    union all
    select * from risk_events
),

final as (
    select
        cast(event_kind as varchar) as event_kind,
        cast(event_id as bigint) as event_id,
        cast(user_id as bigint) as user_id,
        cast(event_at as timestamp) as event_at,
        cast(amount as double) as amount,
        cast(detail as varchar) as detail
    from events
)

select * from final
