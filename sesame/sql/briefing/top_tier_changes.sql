-- top_tier_changes: the tier changes that lost most benefits and moved most.
-- parameters: $report_date, $top_rows (rows shown)
select
    user_id,
    previous_tier,
    tier,
    previous_score,
    score,
    array_to_string(benefits_gained, ', ') as benefits_gained,
    array_to_string(benefits_lost, ', ') as benefits_lost
from report_tier_changes
where report_date = $report_date
order by len(benefits_lost) desc, abs(score - previous_score) desc, user_id asc
limit $top_rows
