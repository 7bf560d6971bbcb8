-- stg_loan_applications: the `loan_applications` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- contract key: (application_id)
-- Timestamps of any unit are floored to microseconds (never rounded into the next day).
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = 'sesame_source_path', union_by_name = true)
),

final as (
    select
        cast(application_id as bigint) as application_id,
        cast(user_id as bigint) as user_id,
        floor_to_microseconds(applied_at) as applied_at,
        cast(product as varchar) as product,
        cast(amount as double) as amount,
        cast(decision as varchar) as decision,
        cast(sesame_source_path as varchar) as source_path
    from exported
)

select * from final
