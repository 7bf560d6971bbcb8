-- stg_transactions: the `transactions` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- key: (source_path, file_row_number); contract key: (txn_id)
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = true, file_row_number = true, union_by_name = true)
),

final as (
    select
        cast(txn_id as bigint) as txn_id,
        cast(user_id as bigint) as user_id,
        cast(txn_ts as timestamp) as txn_ts,
        cast(direction as varchar) as direction,
        cast(category as varchar) as category,
        cast(amount as double) as amount,
        cast(receipt_confirmed as boolean) as receipt_confirmed,
        cast(filename as varchar) as source_path,
        cast(file_row_number as bigint) as file_row_number
    from exported
)

select * from final
