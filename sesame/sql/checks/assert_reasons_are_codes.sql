-- assert_reasons_are_codes: at most 4 reasons, each a reason code of the contract, no repeats.
-- A failure means a reason the readers of the snapshot cannot look up.
with codes as (
    select
        unnest([
            'incomplete_profile', 'frequent_phone_change', 'frequent_address_change',
            'unconfirmed_receipts', 'no_living_payments', 'no_credit_usage',
            'no_card_repayment', 'overdue_payments', 'deliberate_default',
            'negative_record_legal', 'negative_record_financial', 'negative_record_life',
            'short_history', 'low_assets', 'unstable_income', 'low_activity',
            'low_network_credit', 'abnormal_borrowing', 'platform_violation'
        ]) as code
),

reasons as (
    select
        user_id,
        unnest(reasons) as code
    from new_snapshots
),

unknown_codes as (
    select reasons.user_id
    from reasons
    anti join codes
        on reasons.code = codes.code
),

final as (
    select user_id
    from new_snapshots
    where len(reasons) > 4 or len(list_distinct(reasons)) != len(reasons)
    union
    select user_id from unknown_codes
)

select * from final
