-- stuck_factors: the factors that hold stuck users back more than the others.
-- parameters: $report_date
select
    factor,
    stuck_users,
    share_stuck,
    share_others,
    lift,
    points_lost_stuck,
    points_lost_others,
    points_gap
from report_stuck_factors
where report_date = $report_date and coalesce(points_gap, lift, 0) > 0
order by points_gap desc nulls last, lift desc nulls last, share_stuck desc
