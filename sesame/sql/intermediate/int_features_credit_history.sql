-- int_features_credit_history: the credit history dimension's characteristics.
-- grain: one row per (user_id, snapshot_date) of int_feature_requests
-- A bill counts while it is unpaid, and for the lookback after its due date once paid.
-- overdue_bills             overdue bills that count (ordinary and deliberate; an approved
--                           repair makes a bill count as paid on time)
-- overdue_days              days past due summed over the ordinary overdue bills that count
-- deliberate_defaults       deliberate defaults that count
-- deliberate_default_days   days past due summed over the deliberate defaults that count
-- weighted_overdue_days     overdue_days + $deliberate_default_weight x deliberate_default_days
-- credit_repaid_bills       huabei/jiebei bills due in the behaviour window and paid in full
-- card_repaid_bills         credit card bills due in the behaviour window and paid in full
-- history_months            calendar months from the registration month to the date's (month
--                           boundaries passed: date_diff('month'), so it moves on the 1st)
-- negative_legal/financial/life_records  negative records counting at the date, per category
-- parameters: $overdue_lookback_months, $behaviour_window_months, $deliberate_default_weight
with requests as (
    select
        int_feature_requests.user_id,
        int_feature_requests.snapshot_date,
        stg_users.registered_at
    from int_feature_requests
    inner join stg_users
        on int_feature_requests.user_id = stg_users.user_id
),

bills as (
    select
        *,
        (
            not is_paid_in_full
            or due_date >= window_start(snapshot_date, $overdue_lookback_months)
        ) as is_counted
    from int_bills_status
),

records as (
    select * from int_negative_records_status
    where is_counting
),

bill_aggregates as (
    select
        user_id,
        snapshot_date,
        count(*) filter (where is_counted and days_past_due_scored > 0) as overdue_bills,
        sum(days_past_due_scored) filter (
            where is_counted and not is_deliberate_default
        ) as overdue_days,
        count(*) filter (
            where is_counted and is_deliberate_default and days_past_due > 0
        ) as deliberate_defaults,
        sum(days_past_due) filter (
            where is_counted and is_deliberate_default
        ) as deliberate_default_days,
        count(*) filter (
            where
            product in ('huabei', 'jiebei')
            and is_paid_in_full
            and due_date >= window_start(snapshot_date, $behaviour_window_months)
        ) as credit_repaid_bills,
        count(*) filter (
            where
            product = 'credit_card'
            and is_paid_in_full
            and due_date >= window_start(snapshot_date, $behaviour_window_months)
        ) as card_repaid_bills
    from bills
    group by user_id, snapshot_date
),

record_aggregates as (
    select
        user_id,
        snapshot_date,
        count(*) filter (where category = 'legal') as negative_legal_records,
        count(*) filter (where category = 'financial') as negative_financial_records,
        count(*) filter (where category = 'life') as negative_life_records
    from records
    group by user_id, snapshot_date
),

final as (
    select
        requests.user_id,
        requests.snapshot_date,
        cast(coalesce(bill_aggregates.overdue_bills, 0) as integer) as overdue_bills,
        cast(coalesce(bill_aggregates.overdue_days, 0) as integer) as overdue_days,
        cast(coalesce(bill_aggregates.deliberate_defaults, 0) as integer) as deliberate_defaults,
        cast(coalesce(bill_aggregates.deliberate_default_days, 0) as integer)
            as deliberate_default_days,
        cast(
            coalesce(bill_aggregates.overdue_days, 0)
            + $deliberate_default_weight * coalesce(bill_aggregates.deliberate_default_days, 0)
            as integer
        ) as weighted_overdue_days,
        cast(coalesce(bill_aggregates.credit_repaid_bills, 0) as integer) as credit_repaid_bills,
        cast(coalesce(bill_aggregates.card_repaid_bills, 0) as integer) as card_repaid_bills,
        cast(
            date_diff('month', cast(requests.registered_at as date), requests.snapshot_date)
            as integer
        ) as history_months,
        cast(coalesce(record_aggregates.negative_legal_records, 0) as integer)
            as negative_legal_records,
        cast(coalesce(record_aggregates.negative_financial_records, 0) as integer)
            as negative_financial_records,
        cast(coalesce(record_aggregates.negative_life_records, 0) as integer)
            as negative_life_records
    from requests
    left join bill_aggregates
        on
            requests.user_id = bill_aggregates.user_id
            and requests.snapshot_date = bill_aggregates.snapshot_date
    left join record_aggregates
        on
            requests.user_id = record_aggregates.user_id
            and requests.snapshot_date = record_aggregates.snapshot_date
)

select * from final
