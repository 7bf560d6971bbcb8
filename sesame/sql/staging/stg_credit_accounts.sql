-- stg_credit_accounts: the `credit_accounts` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- contract key: (account_id)
-- Timestamps of any unit are floored to microseconds (never rounded into the next day).
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = 'sesame_source_path', union_by_name = true)
),

final as (
    select
        cast(account_id as bigint) as account_id,
        cast(user_id as bigint) as user_id,
        cast(product as varchar) as product,
        floor_to_microseconds(opened_at) as opened_at,
        floor_to_microseconds(closed_at) as closed_at,
        cast(closed_by as varchar) as closed_by,
        cast(credit_limit as double) as credit_limit,
        cast(sesame_source_path as varchar) as source_path
    from exported
)

select * from final
