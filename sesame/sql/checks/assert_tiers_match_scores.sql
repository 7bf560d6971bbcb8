-- assert_tiers_match_scores: tier and benefits are those of the score (contract section 3).
-- A failure means the published tier or benefits disagree with the score they come from.
with expected as (
    select
        user_id,
        tier,
        benefits,
        case
            when score is null then 'unscorable'
            when score >= 700 then 'excellent'
            when score >= 650 then 'very_good'
            when score >= 600 then 'good'
            when score >= 550 then 'fair'
            else 'poor'
        end as expected_tier,
        list_filter(
            [
                {'benefit': 'deposit_free_rental', 'threshold': 600},
                {'benefit': 'car_rental_no_deposit', 'threshold': 650},
                {'benefit': 'installment_loans', 'threshold': 650},
                {'benefit': 'credit_loans', 'threshold': 700},
                {'benefit': 'pay_later', 'threshold': 700},
                {'benefit': 'visa_and_car_loan', 'threshold': 750}
            ],
            lambda unlocked: coalesce(score >= unlocked.threshold, false)
        ).list_transform(lambda unlocked: unlocked.benefit) as expected_benefits
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
