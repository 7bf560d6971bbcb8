-- kept_tiers: the users of $day's snapshots per tier, once put back from its Parquet copy
-- (put_back_snapshots.sql), for the date's result line.
-- depends on: score_snapshots
-- parameters: $day
select
    tier,
    count(*) as users
from score_snapshots
where snapshot_date = $day
group by tier
