-- report_stuck_factors: the reason codes that hold stuck users back, against the other users.
-- grain: one row per factor; key (report_date, factor)
-- The rows are computed in Polars (sesame/transforms/stuck.py: shares of stuck and other users
-- with the factor, their lift, the points the factor costs each group) and registered as
-- stuck_factors_frame; this model gives them the report's columns and types.
-- depends on: stuck_factors_frame (sesame/reports.py registers it)
-- parameters: $report_date
with final as (
    select
        cast($report_date as date) as report_date,
        cast(factor as varchar) as factor,
        cast(stuck_users as bigint) as stuck_users,
        cast(share_stuck as double) as share_stuck,
        cast(share_others as double) as share_others,
        cast(lift as double) as lift,
        cast(points_lost_stuck as double) as points_lost_stuck,
        cast(points_lost_others as double) as points_lost_others,
        cast(points_gap as double) as points_gap
    from stuck_factors_frame
)

select * from final
