-- transaction_months: transactions rolled up per user and calendar month, kept in the warehouse.
-- grain: one row per (user_id, month_start) and change; the counts of a month are the sum of
-- its rows (a night's new transactions add a row per touched month, a replaced transaction
-- takes its count back with sign -1; compaction sums them into one row again)
-- Scoring reads complete months here instead of every transaction (int_transaction_months).
-- reads: rollup_source, the changed staged rows with their sign (+1 loaded, -1 replaced)
with changes as (
    select * from rollup_source
    where txn_ts is not null
),

final as (
    select
        cast(user_id as bigint) as user_id,
        cast(date_trunc('month', txn_ts) as date) as month_start,
        cast(sum(sign) as integer) as transactions,
        cast(
            coalesce(sum(sign) filter (where direction = 'in' and category = 'salary'), 0)
            as integer
        ) as salary_inflows,
        cast(coalesce(sum(sign) filter (where category = 'shopping'), 0) as integer)
            as shopping_transactions,
        cast(
            coalesce(sum(sign) filter (where category = 'shopping' and receipt_confirmed), 0)
            as integer
        ) as confirmed_receipts,
        cast(
            coalesce(
                sum(sign) filter (
                    where direction = 'out' and category in ('utility', 'phone_bill', 'rent')
                ),
                0
            ) as integer
        ) as living_payments,
        false as compacted
    from changes
    group by all
)

select * from final
