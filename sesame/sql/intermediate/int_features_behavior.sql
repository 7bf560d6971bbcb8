-- int_features_behavior: the behavior dimension's characteristics.
-- grain: one row per (user_id, snapshot_date) of int_feature_requests
-- receipt_confirmed_share  confirmed receipts / shopping transactions in the behaviour window
--                          (null without shopping)
-- living_payment_months    months with a utility, phone or rent bill paid through the platform
--                          (a paid living bill, or a living payment transaction)
-- active_months            months with at least one transaction
-- loan_applications_recent loan applications in the last $recent_applications_days days
-- risk_events              platform violations in the last $risk_event_lookback_months months
-- recent_events            transactions plus bills due in the window: the evidence to score on
-- parameters: $behaviour_window_months, $recent_applications_days, $risk_event_lookback_months
with transaction_totals as (
    select
        user_id,
        snapshot_date,
        sum(transactions) as transactions,
        sum(shopping_transactions) as shopping_transactions,
        sum(confirmed_receipts) as confirmed_receipts,
        count(*) as active_months
    from int_transaction_months
    group by user_id, snapshot_date
),

-- a repaired bill counts as paid on time: in the month of its due date
living_bills as (
    select
        user_id,
        snapshot_date,
        case
            when is_repaired then least(cast(paid_at as date), due_date)
            else cast(paid_at as date)
        end as paid_on
    from int_bills_status
    where product in ('utility', 'phone', 'rent') and is_paid_in_full
),

living_months as (
    select
        user_id,
        snapshot_date,
        month_start
    from int_transaction_months
    where living_payments > 0
    union
    select
        user_id,
        snapshot_date,
        cast(date_trunc('month', paid_on) as date) as month_start
    from living_bills
    where paid_on >= window_start(snapshot_date, $behaviour_window_months)
),

living_totals as (
    select
        user_id,
        snapshot_date,
        count(*) as living_payment_months
    from living_months
    group by user_id, snapshot_date
),

bill_totals as (
    select
        user_id,
        snapshot_date,
        count(*) as bills
    from int_bills_status
    where due_date >= window_start(snapshot_date, $behaviour_window_months)
    group by user_id, snapshot_date
),

applications as (
    select
        requests.user_id,
        requests.snapshot_date,
        count(*) as loan_applications_recent
    from int_feature_requests as requests
    inner join stg_loan_applications
        on
            requests.user_id = stg_loan_applications.user_id
            and in_window(
                stg_loan_applications.applied_at,
                days_window_start(requests.snapshot_date, $recent_applications_days),
                requests.snapshot_date
            )
    group by requests.user_id, requests.snapshot_date
),

violations as (
    select
        requests.user_id,
        requests.snapshot_date,
        count(*) as risk_events
    from int_feature_requests as requests
    inner join stg_risk_events
        on
            requests.user_id = stg_risk_events.user_id
            and in_window(
                stg_risk_events.event_ts,
                window_start(requests.snapshot_date, $risk_event_lookback_months),
                requests.snapshot_date
            )
    group by requests.user_id, requests.snapshot_date
),

final as (
    select
        requests.user_id,
        requests.snapshot_date,
        cast(
            transaction_totals.confirmed_receipts
            / nullif(transaction_totals.shopping_transactions, 0)
            as double
        ) as receipt_confirmed_share,
        cast(
            least(coalesce(living_totals.living_payment_months, 0), $behaviour_window_months)
            as integer
        ) as living_payment_months,
        cast(
            least(coalesce(transaction_totals.active_months, 0), $behaviour_window_months)
            as integer
        ) as active_months,
        cast(coalesce(applications.loan_applications_recent, 0) as integer)
            as loan_applications_recent,
        cast(coalesce(violations.risk_events, 0) as integer) as risk_events,
        cast(
            coalesce(transaction_totals.transactions, 0) + coalesce(bill_totals.bills, 0)
            as integer
        ) as recent_events
    from int_feature_requests as requests
    left join transaction_totals
        on
            requests.user_id = transaction_totals.user_id
            and requests.snapshot_date = transaction_totals.snapshot_date
    left join living_totals
        on
            requests.user_id = living_totals.user_id
            and requests.snapshot_date = living_totals.snapshot_date
    left join bill_totals
        on
            requests.user_id = bill_totals.user_id
            and requests.snapshot_date = bill_totals.snapshot_date
    left join applications
        on
            requests.user_id = applications.user_id
            and requests.snapshot_date = applications.snapshot_date
    left join violations
        on
            requests.user_id = violations.user_id
            and requests.snapshot_date = violations.snapshot_date
)

select * from final
