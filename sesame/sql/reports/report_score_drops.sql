-- report_score_drops: users whose score fell since their previous snapshot, with what is behind
-- it: fct_score_drops' rows with the characteristics' point changes that sum to each drop.
-- grain: one row per user whose score at $report_date is lower than at their latest earlier
-- snapshot; key (report_date, user_id)
-- The point changes are computed in Polars (sesame/transforms/drops.py) range by range of users
-- and put into the temporary table score_drop_changes (user_id, causes, point_changes).
-- depends on: fct_score_drops, score_drop_changes (sesame/reports.py fills it)
with final as (
    select
        fct_score_drops.*,
        coalesce(score_drop_changes.causes, []) as causes,
        coalesce(score_drop_changes.point_changes, []) as point_changes
    from fct_score_drops
    left join score_drop_changes on fct_score_drops.user_id = score_drop_changes.user_id
)

select * from final
order by score_drop desc, user_id asc
