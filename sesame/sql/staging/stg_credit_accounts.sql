-- stg_credit_accounts: the `credit_accounts` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- key: (source_path, file_row_number); contract key: (account_id)
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = true, file_row_number = true, union_by_name = true)
),

final as (
    select
        cast(account_id as bigint) as account_id,
        cast(user_id as bigint) as user_id,
        cast(product as varchar) as product,
        cast(opened_at as timestamp) as opened_at,
        cast(closed_at as timestamp) as closed_at,
        cast(closed_by as varchar) as closed_by,
        cast(credit_limit as double) as credit_limit,
        cast(filename as varchar) as source_path,
        cast(file_row_number as bigint) as file_row_number
    from exported
)

select * from final
