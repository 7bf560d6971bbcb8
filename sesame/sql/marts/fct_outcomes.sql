-- fct_outcomes: what became of each user scored at a snapshot date S (contract section 5).
-- grain: one row per user_id scored at $snapshot_date and not excluded
-- key: user_id
-- Only credit bills (huabei, jiebei, credit_card, installment_loan) make an outcome:
--   excluded       unscorable at S (no row), or a credit bill 90+ days past due at S: due on or
--                  before S - 90 days and not paid in full by the end of S
--   bad            a credit bill due in (S, S + 9 months] is 90+ days past due by S + 12 months
--   indeterminate  the worst such bill reaches 30-89 days
--   good           otherwise (no such bill, or all paid within 29 days)
-- Days past due (section 2): from due_date to the day of the payment in full, or to the end of
-- the performance window while unpaid (a partial payment is unpaid); an approved repair, as
-- decided at the end of the window, counts as paid on time. Month arithmetic is calendar months
-- (the day clamped to the month's length). Point in time: nothing after S + 12 months is read.
-- depends on: score_snapshots (the users scored at S), stg_bills, int_repair_decisions (decided
-- at the end of the window for those users; see sesame/outcomes.py)
-- parameters: $snapshot_date, $outcome_due_months, $performance_months, $bad_days_past_due,
-- $indeterminate_days_past_due, $credit_products
with scored_users as (
    select distinct user_id
    from score_snapshots
    where snapshot_date = $snapshot_date and score is not null
),

credit_bills as (
    select
        bill_id,
        user_id,
        due_date,
        paid_at,
        amount_paid >= amount_due as is_paid_in_full
    from stg_bills
    where list_contains($credit_products, product)
),

repaired_bills as (
    select distinct bill_id
    from int_repair_decisions
    where decision = 'approved'
),

window_bounds as (
    select
        cast($snapshot_date as date) as snapshot_date,
        cast($snapshot_date + to_months(cast($outcome_due_months as integer)) as date)
            as last_due_date,
        cast($snapshot_date + to_months(cast($performance_months as integer)) as date)
            as performance_end
),

excluded_users as (
    select distinct credit_bills.user_id
    from credit_bills
    cross join window_bounds
    where
        credit_bills.due_date
        <= window_bounds.snapshot_date - to_days(cast($bad_days_past_due as integer))
        and not coalesce(
            credit_bills.is_paid_in_full
            and credit_bills.paid_at < day_end(window_bounds.snapshot_date),
            false
        )
),

outcome_bills as (
    select
        credit_bills.user_id,
        case
            when repaired_bills.bill_id is not null then 0
            when
                coalesce(
                    credit_bills.is_paid_in_full
                    and credit_bills.paid_at < day_end(window_bounds.performance_end),
                    false
                )
                then greatest(
                    date_diff('day', credit_bills.due_date, cast(credit_bills.paid_at as date)), 0
                )
            else date_diff('day', credit_bills.due_date, window_bounds.performance_end)
        end as days_past_due
    from credit_bills
    cross join window_bounds
    left join repaired_bills on credit_bills.bill_id = repaired_bills.bill_id
    where
        credit_bills.due_date > window_bounds.snapshot_date
        and credit_bills.due_date <= window_bounds.last_due_date
),

worst_by_user as (
    select
        user_id,
        max(days_past_due) as worst_days_past_due
    from outcome_bills
    group by user_id
),

final as (
    select
        cast(scored_users.user_id as bigint) as user_id,
        cast($snapshot_date as date) as snapshot_date,
        cast(
            case
                when coalesce(worst_by_user.worst_days_past_due, 0) >= $bad_days_past_due
                    then 'bad'
                when
                    coalesce(worst_by_user.worst_days_past_due, 0)
                    >= $indeterminate_days_past_due
                    then 'indeterminate'
                else 'good'
            end as varchar
        ) as outcome,
        cast(coalesce(worst_by_user.worst_days_past_due, 0) as integer) as worst_days_past_due,
        cast(worst_by_user.user_id is not null as boolean) as has_credit_bill_due
    from scored_users
    left join worst_by_user on scored_users.user_id = worst_by_user.user_id
    left join excluded_users on scored_users.user_id = excluded_users.user_id
    where excluded_users.user_id is null
)

select * from final
