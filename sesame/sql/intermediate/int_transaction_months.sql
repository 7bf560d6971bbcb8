-- int_transaction_months: a user's transactions rolled up by calendar month, up to a scored date.
-- grain: one row per (user_id, snapshot_date, month_start) with at least one transaction in the
-- behaviour window (the month of the snapshot date counts up to the date only)
-- parameters: $behaviour_window_months
with requests as (
    select
        user_id,
        snapshot_date
    from score_requests
),

transactions as (
    select
        user_id,
        txn_ts,
        direction,
        category,
        receipt_confirmed
    from stg_transactions
),

windowed as (
    select
        requests.user_id,
        requests.snapshot_date,
        transactions.*
    from requests
    inner join transactions
        on
            requests.user_id = transactions.user_id
            and transactions.txn_ts < day_end(requests.snapshot_date)
            and transactions.txn_ts
            >= window_start(requests.snapshot_date, $behaviour_window_months)
),

final as (
    select
        cast(user_id as bigint) as user_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(date_trunc('month', txn_ts) as date) as month_start,
        cast(count(*) as integer) as transactions,
        cast(count(*) filter (where direction = 'in' and category = 'salary') as integer)
            as salary_inflows,
        cast(count(*) filter (where category = 'shopping') as integer) as shopping_transactions,
        cast(
            count(*) filter (where category = 'shopping' and receipt_confirmed) as integer
        ) as confirmed_receipts,
        cast(
            count(*) filter (
                where direction = 'out' and category in ('utility', 'phone_bill', 'rent')
            ) as integer
        ) as living_payments
    from windowed
    group by all
)

select * from final
