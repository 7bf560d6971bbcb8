-- int_transaction_months: a user's transactions rolled up by calendar month, up to a scored date.
-- grain: one row per (user_id, snapshot_date, month_start) with at least one transaction in the
-- behaviour window (the month of the snapshot date counts up to the date only), for the
-- requests of int_feature_requests
-- A month that lies wholly in the window [window_start, D] comes from the warehouse's monthly
-- rollup (transaction_months, kept up to date by ingest); only the partial months at the
-- window's two edges are counted from the transactions themselves. A month-end date has no
-- partial month at its end, so month-end snapshots read the rollup alone.
-- parameters: $behaviour_window_months
with requests as (
    select
        user_id,
        snapshot_date,
        window_start(snapshot_date, $behaviour_window_months) as window_start
    from int_feature_requests
),

-- complete months: the rollup's rows, a month's changes summed below
whole_months as (
    select
        requests.user_id,
        requests.snapshot_date,
        transaction_months.month_start,
        transaction_months.transactions,
        transaction_months.salary_inflows,
        transaction_months.shopping_transactions,
        transaction_months.confirmed_receipts,
        transaction_months.living_payments
    from requests
    inner join transaction_months
        on
            requests.user_id = transaction_months.user_id
            and requests.window_start <= transaction_months.month_start
            and last_day(transaction_months.month_start) <= requests.snapshot_date
),

-- the partial months of the pass's dates: only their transactions are joined to the requests
edge_months as (
    select distinct cast(date_trunc('month', window_start) as date) as month_start
    from requests
    where window_start <> cast(date_trunc('month', window_start) as date)
    union
    select distinct cast(date_trunc('month', snapshot_date) as date) as month_start
    from requests
    where snapshot_date <> last_day(snapshot_date)
),

edge_transactions as (
    select
        user_id,
        txn_ts,
        direction,
        category,
        receipt_confirmed
    from stg_transactions
    where
        cast(date_trunc('month', txn_ts) as date)
        in (select edge_months.month_start from edge_months)
),

partial_months as (
    select
        requests.user_id,
        requests.snapshot_date,
        cast(date_trunc('month', edge_transactions.txn_ts) as date) as month_start,
        -- counted as in the rollup: a condition on a missing value counts no event
        1 as transactions,
        cast(
            coalesce(
                edge_transactions.direction = 'in' and edge_transactions.category = 'salary',
                false
            ) as integer
        ) as salary_inflows,
        cast(coalesce(edge_transactions.category = 'shopping', false) as integer)
            as shopping_transactions,
        cast(
            coalesce(
                edge_transactions.category = 'shopping' and edge_transactions.receipt_confirmed,
                false
            ) as integer
        ) as confirmed_receipts,
        cast(
            coalesce(
                edge_transactions.direction = 'out'
                and edge_transactions.category in ('utility', 'phone_bill', 'rent'),
                false
            ) as integer
        ) as living_payments
    from requests
    inner join edge_transactions
        on
            requests.user_id = edge_transactions.user_id
            and day_end(requests.snapshot_date) > edge_transactions.txn_ts
            and requests.window_start <= edge_transactions.txn_ts
            and (
                date_trunc('month', edge_transactions.txn_ts) < requests.window_start
                or last_day(edge_transactions.txn_ts) > requests.snapshot_date
            )
),

final as (
    select
        cast(user_id as bigint) as user_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(month_start as date) as month_start,
        cast(sum(transactions) as integer) as transactions,
        cast(sum(salary_inflows) as integer) as salary_inflows,
        cast(sum(shopping_transactions) as integer) as shopping_transactions,
        cast(sum(confirmed_receipts) as integer) as confirmed_receipts,
        cast(sum(living_payments) as integer) as living_payments
    from (
        select * from whole_months
        union all
        select * from partial_months
    ) as months
    group by user_id, snapshot_date, month_start
    having sum(transactions) > 0
)

select * from final
