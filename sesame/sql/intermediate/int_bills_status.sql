-- int_bills_status: each bill known at a scored date, with its overdue status at that date.
-- grain: one row per (user_id, snapshot_date, bill_id)
-- A bill is known from its due_date; its payment counts from paid_at. It is overdue when it was
-- not paid in full by the end of its due_date; days past due count from due_date to the payment
-- date, or to the snapshot date while unpaid. An approved repair (known at the date) makes the
-- overdue count as paid on time; a deliberate default is never repaired.
-- For the requests of int_feature_requests (score_requests but friends_only ones).
-- depends on: int_feature_requests, int_repair_decisions
with bills as (
    select
        bill_id,
        user_id,
        product,
        due_date,
        amount_due,
        paid_at,
        amount_paid,
        deliberate_default
    from stg_bills
),

repaired_bills as (
    select distinct
        snapshot_date,
        bill_id
    from int_repair_decisions
    where decision = 'approved'
),

known_bills as (
    select
        requests.snapshot_date,
        bills.*,
        coalesce(
            bills.paid_at < day_end(requests.snapshot_date)
            and bills.amount_paid >= bills.amount_due,
            false
        ) as is_paid_in_full
    from int_feature_requests as requests
    inner join bills
        on
            requests.user_id = bills.user_id
            and requests.snapshot_date >= bills.due_date
),

days_past_due as (
    select
        known_bills.*,
        greatest(
            date_diff(
                'day',
                known_bills.due_date,
                case
                    when known_bills.is_paid_in_full then cast(known_bills.paid_at as date)
                    else known_bills.snapshot_date
                end
            ),
            0
        ) as days_past_due,
        repaired_bills.bill_id is not null as is_repaired
    from known_bills
    left join repaired_bills
        on
            known_bills.snapshot_date = repaired_bills.snapshot_date
            and known_bills.bill_id = repaired_bills.bill_id
),

final as (
    select
        cast(user_id as bigint) as user_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(bill_id as bigint) as bill_id,
        cast(product as varchar) as product,
        cast(due_date as date) as due_date,
        cast(paid_at as timestamp) as paid_at,
        cast(is_paid_in_full as boolean) as is_paid_in_full,
        cast(days_past_due as integer) as days_past_due,
        cast(days_past_due > 0 as boolean) as is_overdue,
        cast(deliberate_default as boolean) as is_deliberate_default,
        cast(is_repaired as boolean) as is_repaired,
        cast(
            case when is_repaired and not deliberate_default then 0 else days_past_due end
            as integer
        ) as days_past_due_scored
    from days_past_due
)

select * from final
