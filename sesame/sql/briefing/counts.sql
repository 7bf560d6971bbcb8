-- counts: the rows of each report of the date the page counts, and the repair decisions.
-- parameters: $report_date
select
    (
        select count(*) from report_score_drops
        where report_date = $report_date
    ) as drops,
    (
        select count(*) from report_score_drops
        where
            report_date = $report_date
            and len(new_overdue_bill_ids) + len(new_negative_record_ids)
            + len(new_profile_change_ids) + len(new_loan_application_ids)
            + len(new_risk_event_ids) = 0
    ) as drops_without_events,
    (
        select count(*) from report_stuck_users
        where report_date = $report_date
    ) as stuck,
    (
        select count(*) from report_tier_changes
        where report_date = $report_date
    ) as tier_changes,
    (
        select count(*) from report_tier_changes
        where report_date = $report_date and score > previous_score
    ) as tier_ups,
    (
        select count(*) from report_borrowing_risk
        where report_date = $report_date
    ) as borrowing_risk,
    (
        select count(*) from report_negative_records
        where report_date = $report_date and status = 'counting'
    ) as records_counting,
    (
        select count(*) from report_negative_records
        where report_date = $report_date and status = 'expired'
    ) as records_expired,
    (
        select count(*) from repair_decisions
        where decision = 'approved'
    ) as repairs_approved,
    (
        select count(*) from repair_decisions
        where decision = 'rejected'
    ) as repairs_rejected
