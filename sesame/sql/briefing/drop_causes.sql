-- drop_causes: the reason codes that lost points in the date's score drops, users and points.
-- parameters: $report_date
with changes as (
    select
        user_id,
        unnest(point_changes) as change
    from report_score_drops
    where report_date = $report_date
)

select
    change.reason_code as cause,
    count(distinct changes.user_id) as users,
    -sum(change.points_change) as points_lost
from changes
where change.points_change < 0
group by all
order by points_lost desc
