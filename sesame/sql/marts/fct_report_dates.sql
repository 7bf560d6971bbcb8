-- fct_report_dates: the dates a report date's reports compare with: the snapshot date before it
-- (the score drops' and the tier changes' "before") and the month-end snapshot date before it
-- (the baseline of the distribution and population reports). Either is null when there is none.
-- grain: one row
-- depends on: snapshot_dates
-- parameters: $report_date
with earlier as (
    select snapshot_date
    from snapshot_dates
    where snapshot_date < $report_date
),

final as (
    select
        max(snapshot_date) as previous_snapshot_date,
        max(snapshot_date) filter (
            where snapshot_date = last_day(snapshot_date)
        ) as previous_month_end
    from earlier
)

select * from final
