-- fct_month_end_scores: each user's month-end snapshots up to a report date, newest first.
-- grain: one row per (user_id, month_end) for the month-ends on or before $report_date within
-- the last $report_months months; key (user_id, month_end)
-- months_back is 0 for the latest month-end on or before the report date, 1 for the one before..
-- for the users whose user_id lies between $user_from and $user_to (a year of month-ends of every
-- user is too much to hold at once for the stuck reports, which run it range by range).
-- parameters: $report_date, $report_months, $user_from, $user_to
with month_ends as (
    select snapshot_date as month_end
    from snapshot_dates
    where
        snapshot_date = last_day(snapshot_date)
        and snapshot_date <= cast($report_date as date)
),

latest as (
    select max(month_end) as month_end from month_ends
),

users_snapshots as (
    select
        user_id,
        snapshot_date,
        score,
        reasons
    from score_snapshots
    where user_id between $user_from and $user_to
),

final as (
    select
        cast(users_snapshots.user_id as bigint) as user_id,
        cast(users_snapshots.snapshot_date as date) as month_end,
        cast(date_diff('month', users_snapshots.snapshot_date, latest.month_end) as integer)
            as months_back,
        cast(users_snapshots.score as integer) as score,
        cast(users_snapshots.reasons as varchar[]) as reasons
    from users_snapshots
    inner join month_ends
        on users_snapshots.snapshot_date = month_ends.month_end
    cross join latest
    where date_diff('month', users_snapshots.snapshot_date, latest.month_end) < $report_months
)

select * from final
