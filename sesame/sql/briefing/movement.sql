-- movement: scored users whose score rose, fell or stayed since the previous date ($previous_date), and
-- those newly scored.
-- parameters: $report_date, $previous_date
with now_scores as (
    select
        user_id,
        score
    from score_snapshots
    where snapshot_date = $report_date and score is not null
),

earlier as (
    select
        user_id,
        score
    from score_snapshots
    where snapshot_date = $previous_date and score is not null
)

select
    count(*) filter (where now_scores.score > earlier.score) as rose,
    count(*) filter (where now_scores.score < earlier.score) as fell,
    count(*) filter (where now_scores.score = earlier.score) as unchanged,
    count(*) filter (where earlier.score is null) as newly_scored
from now_scores
left join earlier on now_scores.user_id = earlier.user_id
