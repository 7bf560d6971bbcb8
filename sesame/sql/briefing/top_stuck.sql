-- top_stuck: the users stuck longest.
-- parameters: $d, $n (rows shown)
select
    user_id,
    months_without_rise,
    month_end_then,
    score_then,
    score,
    fell_in_between,
    factors
from report_stuck_users
where report_date = $d
order by months_without_rise desc, user_id asc
limit $n
