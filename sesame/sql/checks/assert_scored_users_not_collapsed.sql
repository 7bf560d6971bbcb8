-- assert_scored_users_not_collapsed: a date scores at least (1 - max_scored_users_drop) of the
-- users scored on the latest earlier snapshot date (setting SESAME_MAX_SCORED_USERS_DROP).
-- A failure means users went missing from the exports: publishing would drop their scores.
with previous as (
    select
        snapshot_date,
        users - users_unscorable as scored
    from snapshot_dates
    where
        snapshot_date < $snapshot_date
        and model_version = $model_version
    order by snapshot_date desc
    limit 1
),

staged as (
    select count(score) as scored from new_snapshots
)

select
    previous.snapshot_date as previous_date,
    previous.scored as previous_scored,
    staged.scored
from previous
cross join staged
where staged.scored < previous.scored * (1 - $max_scored_users_drop)  -- noqa: RF02
