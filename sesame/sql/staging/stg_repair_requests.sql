-- stg_repair_requests: the `repair_requests` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- key: (source_path, file_row_number); contract key: (request_id)
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = true, file_row_number = true, union_by_name = true)
),

final as (
    select
        cast(request_id as bigint) as request_id,
        cast(user_id as bigint) as user_id,
        cast(bill_id as bigint) as bill_id,
        cast(requested_at as timestamp) as requested_at,
        cast(reason as varchar) as reason,
        cast(filename as varchar) as source_path,
        cast(file_row_number as bigint) as file_row_number
    from exported
)

select * from final
