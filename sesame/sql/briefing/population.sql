-- population: each measure's mean, share unscorable and PSI against the baseline, the score
-- first.
-- parameters: $report_date
select
    measure,
    baseline_date,
    mean,
    baseline_mean,
    psi,
    band,
    share_unscorable,
    baseline_share_unscorable
from report_population
where report_date = $report_date
order by case measure when 'score' then 0 else 1 end, measure
