-- assert_tiers_match_scores: tier and benefits are those of the score (contract section 3).
-- A failure means the published tier or benefits disagree with the score they come from.
-- tier_bands (lowest, tier) and benefit_thresholds (position, lowest, benefit) are the tiers
-- and benefits of transforms/tiers.py, registered by the caller: the thresholds have one home.
with expected as (
    select
        new_snapshots.user_id,
        new_snapshots.tier,
        new_snapshots.benefits,
        case
            when new_snapshots.score is null then 'unscorable'
            else coalesce(
                (
                    select arg_max(tier_bands.tier, tier_bands.lowest)
                    from tier_bands
                    where tier_bands.lowest <= new_snapshots.score
                ),
                'poor'
            )
        end as expected_tier,
        coalesce(
            (
                select list(benefit_thresholds.benefit order by benefit_thresholds.position)
                from benefit_thresholds
                where benefit_thresholds.lowest <= new_snapshots.score
            ),
            []
        ) as expected_benefits
    from new_snapshots
)

select
    user_id,
    tier,
    expected_tier,
    benefits,
    expected_benefits
from expected
where tier != expected_tier or benefits != expected_benefits
