-- stg_repair_requests: the `repair_requests` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- contract key: (request_id)
-- Timestamps of any unit are floored to microseconds (never rounded into the next day).
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = 'sesame_source_path', union_by_name = true)
),

final as (
    select
        cast(request_id as bigint) as request_id,
        cast(user_id as bigint) as user_id,
        cast(bill_id as bigint) as bill_id,
        floor_to_microseconds(requested_at) as requested_at,
        cast(reason as varchar) as reason,
        cast(sesame_source_path as varchar) as source_path
    from exported
)

select * from final
