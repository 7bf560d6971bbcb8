-- stg_assets: the `assets` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- contract key: (user_id, as_of, asset_type)
-- Timestamps of any unit are floored to microseconds (never rounded into the next day).
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = 'sesame_source_path', union_by_name = true)
),

final as (
    select
        cast(user_id as bigint) as user_id,
        cast(as_of as date) as as_of,
        cast(asset_type as varchar) as asset_type,
        cast(value as double) as value,
        cast(sesame_source_path as varchar) as source_path
    from exported
)

select * from final
