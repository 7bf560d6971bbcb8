-- stg_users: the `users` export files of one ingest, cast to the contract's types.
-- grain: one row per row of the files read (bad rows and repeated keys are settled by ingest)
-- contract key: (user_id)
-- Timestamps of any unit are floored to microseconds (never rounded into the next day).
-- parameters: $files, the Parquet files to read (checked for columns and types beforehand)
with exported as (
    select * from read_parquet($files, filename = 'sesame_source_path', union_by_name = true)
),

final as (
    select
        cast(user_id as bigint) as user_id,
        floor_to_microseconds(registered_at) as registered_at,
        cast(real_name_verified as boolean) as real_name_verified,
        cast(phone_verified as boolean) as phone_verified,
        cast(email_verified as boolean) as email_verified,
        cast(address_on_file as boolean) as address_on_file,
        cast(education as varchar) as education,
        cast(employer_verified as boolean) as employer_verified,
        cast(vehicle_verified as boolean) as vehicle_verified,
        cast(score_refresh_day as bigint) as score_refresh_day,
        cast(sesame_source_path as varchar) as source_path
    from exported
)

select * from final
