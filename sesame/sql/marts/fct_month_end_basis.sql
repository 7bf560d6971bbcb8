-- fct_month_end_basis: the month-end snapshots the stuck reports of a date read (those of
-- fct_month_end_scores), each with the run that wrote it, as one text: two report dates with
-- the same text have the same stuck reports.
-- grain: one row
-- depends on: fct_month_end_scores, snapshot_dates
with month_ends as (
    select distinct month_end
    from fct_month_end_scores
),

final as (
    select
        string_agg(
            strftime(month_ends.month_end, '%Y-%m-%d') || ' ' || snapshot_dates.run_id,
            ', '
            order by month_ends.month_end
        ) as basis
    from month_ends
    inner join snapshot_dates
        on month_ends.month_end = snapshot_dates.snapshot_date
)

select * from final
