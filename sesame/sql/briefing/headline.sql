-- headline: users, scored, unscorable, mean score and excellent users of one snapshot date.
-- parameters: $report_date
select
    count(*) as users,
    count(score) as scored,
    count(*) - count(score) as unscorable,
    avg(score) as mean_score,
    count(*) filter (where tier = 'excellent') as excellent
from score_snapshots
where snapshot_date = $report_date
