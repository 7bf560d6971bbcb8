-- distribution: the score bands of the date against the baseline.
-- parameters: $report_date
select
    band_lower,
    band_upper,
    users,
    share,
    baseline_users,
    baseline_share
from report_score_distribution
where report_date = $report_date
order by band_lower
