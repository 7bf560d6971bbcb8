-- top_borrowing: the users with most borrowing-risk flags, highest scores first.
-- parameters: $report_date, $top_rows (rows shown)
select
    user_id,
    score,
    array_to_string(flags, ', ') as flags,
    array_to_string(triggers, '; ') as triggers
from report_borrowing_risk
where report_date = $report_date
order by len(flags) desc, score desc, user_id asc
limit $top_rows
