-- assert_reasons_are_codes: at most 4 reasons, each a reason code of the contract, no repeats.
-- A failure means a reason the readers of the snapshot cannot look up.
select
    user_id,
    reasons
from new_snapshots
where
    len(reasons) > 4
    or len(list_distinct(reasons)) != len(reasons)
    or not list_bool_and(
        list_transform(
            reasons,
            lambda code: list_contains(
                [
                    'incomplete_profile', 'frequent_phone_change', 'frequent_address_change',
                    'unconfirmed_receipts', 'no_living_payments', 'no_credit_usage',
                    'no_card_repayment', 'overdue_payments', 'deliberate_default',
                    'negative_record_legal', 'negative_record_financial', 'negative_record_life',
                    'short_history', 'low_assets', 'unstable_income', 'low_activity',
                    'low_network_credit', 'abnormal_borrowing', 'platform_violation'
                ],
                code
            )
        )
    )
