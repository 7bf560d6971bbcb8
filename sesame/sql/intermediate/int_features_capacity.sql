-- int_features_capacity: the capacity dimension's characteristics.
-- grain: one row per (user_id, snapshot_date) of int_feature_requests
-- assets_value_cny         sum over asset types of each type's latest reported value by the date
-- salary_months            calendar months with a salary inflow among the
--                          $income_window_months complete months before the date's month and
--                          the date's month so far, at most $income_window_months (a salary not
--                          yet paid this month costs nothing on the 1st)
-- parameters: $income_window_months
with latest_assets as (
    select
        requests.user_id,
        requests.snapshot_date,
        stg_assets.asset_type,
        stg_assets.value
    from int_feature_requests as requests
    inner join stg_assets
        on
            requests.user_id = stg_assets.user_id
            and requests.snapshot_date >= stg_assets.as_of
    qualify row_number() over (
        partition by requests.user_id, requests.snapshot_date, stg_assets.asset_type
        order by stg_assets.as_of desc
    ) = 1
),

asset_totals as (
    select
        user_id,
        snapshot_date,
        -- summed as decimals: a double sum depends on the order threads add it in
        cast(sum(cast(value as decimal(38, 6))) as double) as assets_value_cny
    from latest_assets
    group by user_id, snapshot_date
),

salary as (
    select
        user_id,
        snapshot_date,
        count(*) filter (
            where
            salary_inflows > 0
            and month_start
            >= date_trunc('month', snapshot_date)
            - to_months(cast($income_window_months as integer))
        ) as salary_months
    from int_transaction_months
    group by user_id, snapshot_date
),

final as (
    select
        requests.user_id,
        requests.snapshot_date,
        cast(coalesce(asset_totals.assets_value_cny, 0) as double) as assets_value_cny,
        cast(least(coalesce(salary.salary_months, 0), $income_window_months) as integer)
            as salary_months
    from int_feature_requests as requests
    left join asset_totals
        on
            requests.user_id = asset_totals.user_id
            and requests.snapshot_date = asset_totals.snapshot_date
    left join salary
        on
            requests.user_id = salary.user_id
            and requests.snapshot_date = salary.snapshot_date
)

select * from final
