-- fct_user_features: the per-user aggregates of the five dimensions, the scorecard's inputs.
-- grain: one row per (user_id, snapshot_date) of score_requests; key (user_id, snapshot_date)
-- is_scorable: the user has at least $min_events_to_score transactions and bills in the
-- behaviour window; others get no score (tier unscorable) rather than an invented one.
-- A friends_only request (int_score_requests) takes every dimension but relationships from
-- int_features_carried: a friend's score changed, nothing else of theirs.
-- parameters: $min_events_to_score
with requests as (
    select
        user_id,
        snapshot_date,
        is_snapshot,
        friends_only
    from score_requests
),

-- every dimension but relationships: computed this pass, or for friends_only requests (only a
-- friend's score changed: int_score_requests) carried from $previous_date (int_features_carried)
other_dimensions as (
    select
        requests.user_id,
        requests.snapshot_date,
        requests.is_snapshot,
        credit_history.overdue_bills,
        credit_history.overdue_days,
        credit_history.deliberate_defaults,
        credit_history.deliberate_default_days,
        credit_history.weighted_overdue_days,
        credit_history.credit_repaid_bills,
        credit_history.card_repaid_bills,
        credit_history.history_months,
        credit_history.negative_legal_records,
        credit_history.negative_financial_records,
        credit_history.negative_life_records,
        identity.profile_items,
        identity.phone_changes,
        identity.address_changes,
        capacity.assets_value_cny,
        capacity.salary_months,
        behavior.receipt_confirmed_share,
        behavior.living_payment_months,
        behavior.active_months,
        behavior.loan_applications_recent,
        behavior.risk_events,
        behavior.recent_events
    from requests
    inner join int_features_credit_history as credit_history
        on
            requests.user_id = credit_history.user_id
            and requests.snapshot_date = credit_history.snapshot_date
    inner join int_features_identity as identity
        on
            requests.user_id = identity.user_id
            and requests.snapshot_date = identity.snapshot_date
    inner join int_features_capacity as capacity
        on
            requests.user_id = capacity.user_id
            and requests.snapshot_date = capacity.snapshot_date
    inner join int_features_behavior as behavior
        on
            requests.user_id = behavior.user_id
            and requests.snapshot_date = behavior.snapshot_date
    where not requests.friends_only
    union all by name
    select * from int_features_carried
),

final as (
    select
        other_dimensions.*,
        relationships.open_friends,
        relationships.scored_friends,
        relationships.friends_mean_score,
        cast(other_dimensions.recent_events >= $min_events_to_score as boolean) as is_scorable
    from other_dimensions
    inner join int_features_relationships as relationships
        on
            other_dimensions.user_id = relationships.user_id
            and other_dimensions.snapshot_date = relationships.snapshot_date
)

select * from final
