-- assert_snapshot_key_unique: (user_id, snapshot_date) is unique and not null.
-- A failure means a user would get two scores for one day: the join upstream fanned out.
select
    user_id,
    snapshot_date,
    count(*) as rows_for_key
from new_snapshots
group by user_id, snapshot_date
having count(*) > 1 or user_id is null or snapshot_date is null
