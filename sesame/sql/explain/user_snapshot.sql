-- user_snapshot: user $user_id's latest snapshot row before $day ($before) or on or before it
-- (null $day: the latest of all); no row without one.
-- depends on: score_snapshots
-- parameters: $user_id, $day, $before
select * from score_snapshots
where
    user_id = $user_id
    and ($day is null or snapshot_date < $day or (not $before and snapshot_date = $day))
order by snapshot_date desc
limit 1
