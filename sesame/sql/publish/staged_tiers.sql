-- staged_tiers: the users of a date's staged snapshots per tier, and how many of them were
-- scored (not carried from the day before), for the date's progress line (sesame/scoring.py).
-- depends on: new_snapshots
select
    tier,
    count(*) as users,
    count(*) filter (where carried_from is null) as scored
from new_snapshots
group by tier
order by tier
