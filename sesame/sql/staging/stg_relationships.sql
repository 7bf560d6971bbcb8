-- stg_relationships: the `relationships` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- key: (source_path, file_row_number); contract key: (user_id, friend_id, since)
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = true, file_row_number = true, union_by_name = true)
),

final as (
    select
        cast(user_id as bigint) as user_id,
        cast(friend_id as bigint) as friend_id,
        cast(since as timestamp) as since,
        cast(ended_at as timestamp) as ended_at,
        cast(filename as varchar) as source_path,
        cast(file_row_number as bigint) as file_row_number
    from exported
)

select * from final
