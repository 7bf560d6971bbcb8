-- migration: users by tier at the previous snapshot and now.
-- parameters: $d
select
    previous_tier,
    tier,
    users
from report_tier_migration
where report_date = $d
