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
        list_concat(
            case when score >= 600 then ['deposit_free_rental'] else [] end,
            case when score >= 650 then ['car_rental_no_deposit', 'installment_loans'] else [] end,
            case when score >= 700 then ['credit_loans', 'pay_later'] else [] end,
            case when score >= 750 then ['visa_and_car_loan'] else [] end
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
