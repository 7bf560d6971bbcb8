-- top_drops: the largest score drops, after new events ($with_events) or with none.
-- parameters: $report_date, $with_events, $top_rows (rows shown)
with drops as (
    select
        *,
        len(new_overdue_bill_ids) + len(new_negative_record_ids)
        + len(new_profile_change_ids) + len(new_loan_application_ids)
        + len(new_risk_event_ids) as new_events
    from report_score_drops
    where report_date = $report_date
)

select
    user_id,
    previous_date,
    previous_score,
    score,
    score_drop,
    array_to_string(dimensions_fell, ', ') as dimensions_fell,
    causes,
    new_events
from drops
where (new_events > 0) = $with_events
order by score_drop desc, user_id asc
limit $top_rows
