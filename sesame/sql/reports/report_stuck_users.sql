-- report_stuck_users: users whose score has not risen for rules.STUCK_MONTHS month-ends or
-- more, with what holds them there, typed for the warehouse.
-- grain: one row per stuck user; key (report_date, user_id)
-- The rows are computed in Polars (sesame/transforms/stuck.py: months_without_rise over each
-- user's month-end scores, the factors from their latest month-end) and put range by range
-- into the temporary table stuck_users_frame; this model gives them the report's columns,
-- types and order.
-- depends on: stuck_users_frame (sesame/reports.py fills it)
-- parameters: $report_date
with final as (
    select
        cast($report_date as date) as report_date,
        cast(user_id as bigint) as user_id,
        cast(months_without_rise as integer) as months_without_rise,
        cast(month_end_then as date) as month_end_then,
        cast(score_then as integer) as score_then,
        cast(month_end as date) as month_end,
        cast(score as integer) as score,
        cast(fell_in_between as boolean) as fell_in_between,
        cast(lowest_in_between as integer) as lowest_in_between,
        cast(factors as varchar[]) as factors
    from stuck_users_frame
)

select * from final
order by months_without_rise desc, user_id asc
