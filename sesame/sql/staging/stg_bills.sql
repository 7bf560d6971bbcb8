-- stg_bills: the `bills` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- contract key: (bill_id)
-- Timestamps of any unit are floored to microseconds (never rounded into the next day).
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = 'sesame_source_path', union_by_name = true)
),

final as (
    select
        cast(bill_id as bigint) as bill_id,
        cast(user_id as bigint) as user_id,
        cast(account_id as bigint) as account_id,
        cast(product as varchar) as product,
        cast(due_date as date) as due_date,
        cast(amount_due as double) as amount_due,
        floor_to_microseconds(paid_at) as paid_at,
        cast(amount_paid as double) as amount_paid,
        cast(deliberate_default as boolean) as deliberate_default,
        cast(sesame_source_path as varchar) as source_path
    from exported
)

select * from final
