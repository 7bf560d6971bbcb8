-- snapshots_before: how many dates before $earliest hold a snapshot (none: the run scores a
-- lead-in month-end first, so its first date sees friends' published scores).
-- depends on: snapshot_dates
-- parameters: $earliest
select count(*) as dates
from snapshot_dates
where snapshot_date < $earliest
