-- stg_negative_records: the `negative_records` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- key: (source_path, file_row_number); contract key: (record_id)
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = true, file_row_number = true, union_by_name = true)
),

final as (
    select
        cast(record_id as bigint) as record_id,
        cast(user_id as bigint) as user_id,
        cast(category as varchar) as category,
        cast(source as varchar) as source,
        cast(occurred_at as timestamp) as occurred_at,
        cast(amount as double) as amount,
        cast(resolved_at as timestamp) as resolved_at,
        cast(removed_on_appeal as boolean) as removed_on_appeal,
        cast(filename as varchar) as source_path,
        cast(file_row_number as bigint) as file_row_number
    from exported
)

select * from final
