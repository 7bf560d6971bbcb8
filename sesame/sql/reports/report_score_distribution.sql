-- report_score_distribution: how many users score in each band of $score_band_points points,
-- now and at the previous month-end (the last band holds $score_max too).
-- grain: one row per band (350-399 .. 900-950); key (report_date, band_lower)
-- parameters: $report_date, $previous_month_end (the latest month-end snapshot before it),
-- $score_min, $score_max, $score_band_points (sesame/rules.py)
with bands as (
    select unnest(range($score_min, $score_max, $score_band_points)) as band_lower
),

scores as (
    select
        score_snapshots.snapshot_date = $report_date as is_now,
        least(
            $score_min
            + $score_band_points
            * floor((score_snapshots.score - $score_min) / $score_band_points),
            $score_max - $score_band_points
        ) as band_lower
    from score_snapshots
    where
        score_snapshots.score is not null
        and (
            score_snapshots.snapshot_date = $report_date
            or score_snapshots.snapshot_date = $previous_month_end
        )
),

counted as (
    select
        bands.band_lower,
        count(*) filter (where scores.is_now) as users,
        count(*) filter (where not scores.is_now) as baseline_users
    from bands
    left join scores
        on bands.band_lower = scores.band_lower
    group by bands.band_lower
),

final as (
    select
        cast($report_date as date) as report_date,
        cast(band_lower as integer) as band_lower,
        cast(
            case
                when band_lower = $score_max - $score_band_points then $score_max
                else band_lower + $score_band_points - 1
            end as integer
        ) as band_upper,
        cast(users as bigint) as users,
        cast(users / greatest(sum(users) over (), 1) as double) as share,
        cast(baseline_users as bigint) as baseline_users,
        cast(baseline_users / greatest(sum(baseline_users) over (), 1) as double)
            as baseline_share
    from counted
    order by band_lower
)

select * from final
