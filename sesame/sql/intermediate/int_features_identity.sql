-- int_features_identity: the identity dimension's characteristics.
-- grain: one row per (user_id, snapshot_date) of int_feature_requests
-- profile_items            of 7: real name, phone, email, address, education given, employer,
--                          vehicle (the users row is the current profile, valid from registration)
-- phone_changes            phone changes in the churn window up to the date
-- address_changes          address changes in the churn window up to the date
-- parameters: $profile_change_window_months
with requests as (
    select
        int_feature_requests.user_id,
        int_feature_requests.snapshot_date,
        (
            cast(stg_users.real_name_verified as integer)
            + cast(stg_users.phone_verified as integer)
            + cast(stg_users.email_verified as integer)
            + cast(stg_users.address_on_file as integer)
            + cast(stg_users.education is not null as integer)
            + cast(stg_users.employer_verified as integer)
            + cast(stg_users.vehicle_verified as integer)
        ) as profile_items
    from int_feature_requests
    inner join stg_users
        on int_feature_requests.user_id = stg_users.user_id
),

changes as (
    select
        requests.user_id,
        requests.snapshot_date,
        count(*) filter (where stg_profile_changes.field = 'phone') as phone_changes,
        count(*) filter (where stg_profile_changes.field = 'address') as address_changes
    from requests
    inner join stg_profile_changes
        on
            requests.user_id = stg_profile_changes.user_id
            and in_window(
                stg_profile_changes.changed_at,
                window_start(requests.snapshot_date, $profile_change_window_months),
                requests.snapshot_date
            )
    group by requests.user_id, requests.snapshot_date
),

final as (
    select
        requests.user_id,
        requests.snapshot_date,
        cast(requests.profile_items as integer) as profile_items,
        cast(coalesce(changes.phone_changes, 0) as integer) as phone_changes,
        cast(coalesce(changes.address_changes, 0) as integer) as address_changes
    from requests
    left join changes
        on
            requests.user_id = changes.user_id
            and requests.snapshot_date = changes.snapshot_date
)

select * from final
