-- int_repair_decisions: every repair request known at each scored date, approved or rejected.
-- grain: one row per (snapshot_date, request_id), for the requests of int_feature_requests (a
-- friends_only request's decisions of $previous_date are carried, as for carried users)
-- Rules (contract section 2), checked with what is known at the snapshot date, first failure wins:
--   bill_not_found             the bill is unknown, or belongs to another user
--   deliberate_default         the bill is a deliberate default: never repaired
--   reason_not_eligible        the reason is not forgot, temporary_hardship or system_error
--   not_overdue                the bill was paid on time (or is not yet due): nothing to repair
--   not_paid_within_30_days    the bill was not paid in full within 30 days of its due date
--                              (the labels name the rules' days: rules.py, their one home)
--   repair_in_previous_365_days another repair of the user was approved in the 365 days before
--   all_rules_met              approved
-- The 365-day rule depends on earlier approvals, so approvals are a chain per user: the first
-- eligible request, then the first eligible one more than 365 days after it, and so on.
-- parameters: $repair_paid_within_days, $repair_cooldown_days
with recursive requests as (
    select
        scored_users.snapshot_date,
        stg_repair_requests.request_id,
        stg_repair_requests.user_id,
        stg_repair_requests.bill_id,
        stg_repair_requests.requested_at,
        stg_repair_requests.reason
    from stg_repair_requests
    inner join int_feature_requests as scored_users
        on
            stg_repair_requests.user_id = scored_users.user_id
            and stg_repair_requests.requested_at < day_end(scored_users.snapshot_date)
),

checked as (
    select
        requests.*,
        case
            when
                stg_bills.bill_id is null
                or stg_bills.user_id != requests.user_id
                then 'bill_not_found'
            when stg_bills.deliberate_default then 'deliberate_default'
            when
                requests.reason not in ('forgot', 'temporary_hardship', 'system_error')
                then 'reason_not_eligible'
            when
                stg_bills.paid_at < day_end(requests.snapshot_date)
                and stg_bills.amount_paid >= stg_bills.amount_due
                and cast(stg_bills.paid_at as date) <= stg_bills.due_date
                then 'not_overdue'
            when requests.snapshot_date <= stg_bills.due_date then 'not_overdue'
            when
                stg_bills.paid_at is null
                or stg_bills.paid_at >= day_end(requests.snapshot_date)
                or stg_bills.amount_paid < stg_bills.amount_due
                or date_diff('day', stg_bills.due_date, cast(stg_bills.paid_at as date))
                > $repair_paid_within_days
                then format('not_paid_within_{}_days', $repair_paid_within_days)
        end as failed_rule
    from requests
    left join stg_bills
        on requests.bill_id = stg_bills.bill_id
),

eligible as (
    select
        snapshot_date,
        user_id,
        request_id,
        requested_at
    from checked
    where failed_rule is null
),

-- for each eligible request, the first eligible request of the user after its cool-down
next_eligible as (
    select
        eligible.snapshot_date,
        eligible.request_id,
        later.request_id as next_request_id
    from eligible
    left join eligible as later
        on
            eligible.snapshot_date = later.snapshot_date
            and eligible.user_id = later.user_id
            and eligible.requested_at + to_days(cast($repair_cooldown_days as integer))
            < later.requested_at
    qualify row_number() over (
        partition by eligible.snapshot_date, eligible.request_id
        order by later.requested_at, later.request_id
    ) = 1
),

approved as (
    select
        snapshot_date,
        request_id
    from eligible
    qualify
        row_number() over (
            partition by snapshot_date, user_id order by requested_at, request_id
        ) = 1
    union all
    select
        next_eligible.snapshot_date,
        next_eligible.next_request_id as request_id
    from approved
    inner join next_eligible
        on
            approved.snapshot_date = next_eligible.snapshot_date
            and approved.request_id = next_eligible.request_id
    where next_eligible.next_request_id is not null
),

final as (
    select
        cast(checked.snapshot_date as date) as snapshot_date,
        cast(checked.request_id as bigint) as request_id,
        cast(checked.user_id as bigint) as user_id,
        cast(checked.bill_id as bigint) as bill_id,
        cast(checked.requested_at as timestamp) as requested_at,
        cast(checked.reason as varchar) as reason,
        cast(
            case when approved.request_id is not null then 'approved' else 'rejected' end
            as varchar
        ) as decision,
        cast(
            case
                when approved.request_id is not null then 'all_rules_met'
                when checked.failed_rule is not null then checked.failed_rule
                else format('repair_in_previous_{}_days', $repair_cooldown_days)
            end as varchar
        ) as rule
    from checked
    left join approved
        on
            checked.snapshot_date = approved.snapshot_date
            and checked.request_id = approved.request_id
)

select * from final
