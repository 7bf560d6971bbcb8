-- assert_scores_in_range: scores lie in $score_min..$score_max (350..950, sesame/rules.py) and
-- sub-scores in 0..100; a scorable user has
-- every sub-score, an unscorable one has neither score nor benefits.
-- A failure means the scorecard's points no longer add up to the contract's range.
select
    user_id,
    score,
    published_score,
    credit_history,
    identity,
    capacity,
    behavior,
    relationships
from new_snapshots
where
    score not between $score_min and $score_max
    or published_score not between $score_min and $score_max
    or credit_history not between 0 and 100
    or identity not between 0 and 100
    or capacity not between 0 and 100
    or behavior not between 0 and 100
    or relationships not between 0 and 100
    or (
        score is not null
        and (
            credit_history is null or identity is null or capacity is null
            or behavior is null or relationships is null
        )
    )
    or (score is null and (tier != 'unscorable' or len(benefits) > 0))
