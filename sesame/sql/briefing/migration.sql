-- migration: users by tier at the previous snapshot and now.
-- parameters: $report_date
select
    previous_tier,
    tier,
    users
from report_tier_migration
where report_date = $report_date
