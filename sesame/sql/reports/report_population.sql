-- report_population: population monitoring of the score and each dimension against the
-- previous month-end: means, share unscorable, and the population stability index (PSI).
-- grain: one row per measure (score and the five dimensions); key (report_date, measure)
-- PSI = sum over bins of (share_now - share_then) x ln(share_now / share_then), with the score
-- in 12 bins of 50 points and each dimension in 10 bins of 10; empty bins count as 0.0001.
-- band: 'stable' below 0.1, 'watch' from 0.1, 'shift' from 0.25 (the usual bands).
-- parameters: $report_date, $previous_month_end (the latest month-end snapshot before it)
with baseline_date as (
    select cast($previous_month_end as date) as snapshot_date
),

snapshots as (
    select
        case when score_snapshots.snapshot_date = $report_date then 'now' else 'then' end
            as period,
        score_snapshots.score,
        score_snapshots.credit_history,
        score_snapshots.identity,
        score_snapshots.capacity,
        score_snapshots.behavior,
        score_snapshots.relationships
    from score_snapshots
    where
        score_snapshots.snapshot_date = $report_date
        or score_snapshots.snapshot_date = $previous_month_end
),

measures as (
    unpivot (
        select
            period,
            cast(score as double) as score,
            credit_history,
            identity,
            capacity,
            behavior,
            relationships
        from snapshots
        where score is not null
    ) on score, credit_history, identity, capacity, behavior, relationships
    into name measure value measure_value
),

binned as (
    select
        measure,
        period,
        measure_value,
        case
            when measure = 'score'
                then least(
                    floor((measure_value - $score_min) / $score_band_points),
                    ($score_max - $score_min) // $score_band_points - 1
                )
            else least(floor(measure_value / 10), 9)
        end as bin
    from measures
),

totals as (
    select
        measure,
        count(*) filter (where period = 'now') as now_count,
        count(*) filter (where period = 'then') as then_count
    from binned
    group by measure
),

bins as (
    select
        measure,
        unnest(range(cast(case when measure = 'score' then 12 else 10 end as bigint))) as bin
    from totals
),

shares as (
    select
        bins.measure,
        bins.bin,
        coalesce(count(binned.measure_value) filter (where binned.period = 'now'), 0)
        / greatest(max(totals.now_count), 1) as share_now,
        coalesce(count(binned.measure_value) filter (where binned.period = 'then'), 0)
        / greatest(max(totals.then_count), 1) as share_then
    from bins
    left join binned
        on bins.measure = binned.measure and bins.bin = binned.bin
    inner join totals
        on bins.measure = totals.measure
    group by bins.measure, bins.bin
),

psi as (
    select
        measure,
        sum(
            (greatest(share_now, 0.0001) - greatest(share_then, 0.0001))
            * ln(greatest(share_now, 0.0001) / greatest(share_then, 0.0001))
        ) as psi
    from shares
    group by measure
),

means as (
    select
        measure,
        avg(measure_value) filter (where period = 'now') as mean_now,
        avg(measure_value) filter (where period = 'then') as mean_then,
        count(*) filter (where period = 'then') as baseline_users
    from measures
    group by measure
),

unscorable as (
    select
        count(*) filter (where score is null and period = 'now')
        / greatest(count(*) filter (where period = 'now'), 1) as share_now,
        count(*) filter (where score is null and period = 'then')
        / greatest(count(*) filter (where period = 'then'), 1) as share_then
    from snapshots
),

final as (
    select
        cast($report_date as date) as report_date,
        cast(means.measure as varchar) as measure,
        cast(baseline_date.snapshot_date as date) as baseline_date,
        cast(means.mean_now as double) as mean,
        cast(means.mean_then as double) as baseline_mean,
        cast(unscorable.share_now as double) as share_unscorable,
        cast(unscorable.share_then as double) as baseline_share_unscorable,
        cast(case when means.baseline_users > 0 then psi.psi end as double) as psi,
        cast(
            case
                when means.baseline_users = 0 then null
                when psi.psi >= 0.25 then 'shift'
                when psi.psi >= 0.1 then 'watch'
                else 'stable'
            end as varchar
        ) as band
    from means
    inner join psi on means.measure = psi.measure
    cross join baseline_date
    cross join unscorable
)

select * from final
