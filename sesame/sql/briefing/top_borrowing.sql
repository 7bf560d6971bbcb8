-- top_borrowing: the users with most borrowing-risk flags, highest scores first.
-- parameters: $d, $n (rows shown)
select
    user_id,
    score,
    array_to_string(flags, ', ') as flags,
    array_to_string(triggers, '; ') as triggers
from report_borrowing_risk
where report_date = $d
order by len(flags) desc, score desc, user_id asc
limit $n
