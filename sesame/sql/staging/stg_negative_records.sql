-- stg_negative_records: the `negative_records` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- contract key: (record_id)
-- Timestamps of any unit are floored to microseconds (never rounded into the next day).
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = 'sesame_source_path', union_by_name = true)
),

final as (
    select
        cast(record_id as bigint) as record_id,
        cast(user_id as bigint) as user_id,
        cast(category as varchar) as category,
        cast(source as varchar) as source,
        floor_to_microseconds(occurred_at) as occurred_at,
        cast(amount as double) as amount,
        floor_to_microseconds(resolved_at) as resolved_at,
        cast(removed_on_appeal as boolean) as removed_on_appeal,
        cast(sesame_source_path as varchar) as source_path
    from exported
)

select * from final
