-- top_stuck: the users stuck longest.
-- parameters: $report_date, $top_rows (rows shown)
select
    user_id,
    months_without_rise,
    month_end_then,
    score_then,
    score,
    fell_in_between,
    factors
from report_stuck_users
where report_date = $report_date
order by months_without_rise desc, user_id asc
limit $top_rows
