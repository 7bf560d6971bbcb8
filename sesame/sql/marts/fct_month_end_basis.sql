-- fct_month_end_basis: the month-end snapshots the stuck reports of a date read (those of
-- fct_month_end_scores with $report_months), each with the run that wrote it, as one text: two
-- report dates with the same text have the same stuck reports.
-- grain: one row
-- depends on: snapshot_dates
-- parameters: $report_date, $report_months
with latest as (
    select max(snapshot_date) as month_end
    from snapshot_dates
    where
        snapshot_date = last_day(snapshot_date)
        and snapshot_date <= cast($report_date as date)
),

final as (
    select
        string_agg(
            strftime(snapshot_dates.snapshot_date, '%Y-%m-%d') || ' ' || snapshot_dates.run_id,
            ', '
            order by snapshot_dates.snapshot_date
        ) as basis
    from snapshot_dates
    cross join latest
    where
        snapshot_dates.snapshot_date = last_day(snapshot_dates.snapshot_date)
        and snapshot_dates.snapshot_date <= latest.month_end
        and date_diff('month', snapshot_dates.snapshot_date, latest.month_end) < $report_months
)

select * from final
