-- fct_month_end_basis: the month-end snapshots the stuck reports of a date read (those of
-- fct_month_end_scores with $report_months), each with the run that wrote it, as one text: two
-- report dates with the same text have the same stuck reports.
-- grain: one row
-- depends on: snapshot_dates
-- parameters: $report_date, $report_months
with month_ends as (
    select
        snapshot_date as month_end,
        run_id
    from snapshot_dates
    where
        snapshot_date = last_day(snapshot_date)
        and snapshot_date <= cast($report_date as date)
),

latest as (
    select max(month_end) as month_end from month_ends
),

final as (
    select
        string_agg(
            strftime(month_ends.month_end, '%Y-%m-%d') || ' ' || month_ends.run_id,
            ', '
            order by month_ends.month_end
        ) as basis
    from month_ends
    cross join latest
    where date_diff('month', month_ends.month_end, latest.month_end) < $report_months
)

select * from final
