-- history: every snapshot of user $user_id, oldest first: the score, the published score, the
-- tier (sesame explain's history).
-- depends on: score_snapshots
-- parameters: $user_id
select
    snapshot_date,
    score,
    published_score,
    tier
from score_snapshots
where user_id = $user_id
order by snapshot_date
