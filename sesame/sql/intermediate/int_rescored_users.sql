-- int_rescored_users: the users an incremental night scores again at D ($snapshot_date); every
-- other user's row of P ($previous_date, the day before D, in the same month) is carried to D
-- unchanged (sesame/incremental.py decides when a night may be incremental).
-- grain: one row per user_id in $user_from..$user_to; why: the first cause found
-- Nothing is empty when $previous_date is NULL (a full night scores everyone).
-- A snapshot reads the staged rows through comparisons with D: an event counts from its time
-- (`< day_end(D)`), a window from its start (`>= window_start(D, months)`, `days_window_start(D, days)`),
-- a record until its retention ends (`resolved_at + years`), a bill is known and overdue from
-- its due_date and ages while unpaid. So a user's row can change from P to D only when
--   changed_rows   ingest loaded, replaced or took out one of their rows since the latest
--                  snapshot was computed (user_changes);
--   new_user       they have no row at P (registered on D, or never scored at P);
--   edge_passed    one of their moments (every timestamp and date column of every export) lies
--                  between an edge's place at P and at D: the day's end (a date: on P or D),
--                  the start of each of the card's windows that reads it, the end of each
--                  retention of a record;
--   unpaid_bill    a bill of theirs is due by D and was not paid in full by the end of P: its
--                  days past due grow;
--   refresh_day    their latest score refresh day moved (D is their refresh day);
--   history_month  their calendar months since registration changed (only on the 1st: a night
--                  in a new month is full anyway);
--   friend_score   a friend's published score at P differs from the one before P (the friends'
--                  mean at D reads P's; at P it read the snapshot before, $before_previous_date).
-- Month-based windows (the income window, whole months) move only on the 1st: a night in a new
-- month is always full. tests/sql/test_incremental.py holds 60 random nights against full ones.
-- parameters: $snapshot_date, $previous_date, $before_previous_date,
-- $user_from, $user_to, the card's windows, the contract's retention years
-- every timestamp and date column of every export, with the card's windows that read it (the
-- feature models': the behaviour window reads transactions and bills, the overdue lookback
-- bills' due dates, the profile window profile changes, the risk lookback risk events, the
-- applications window loan applications); every moment is read against the end of D
with dates as (
    select
        cast($previous_date as date) as previous_date,
        cast($snapshot_date as date) as snapshot_date
),

moments as (
    select
        user_id,
        registered_at as moment,
        false as is_date,
        cast([] as varchar[]) as windows
    from stg_users
    union all
    select
        user_id,
        changed_at as moment,
        false as is_date,
        ['profile'] as windows
    from stg_profile_changes
    union all
    select
        user_id,
        txn_ts as moment,
        false as is_date,
        ['behaviour'] as windows
    from stg_transactions
    union all
    select
        user_id,
        unnest([opened_at, closed_at]) as moment,
        false as is_date,
        [] as windows
    from stg_credit_accounts
    union all
    select
        user_id,
        cast(due_date as timestamp) as moment,
        true as is_date,
        ['behaviour', 'overdue'] as windows
    from stg_bills
    union all
    select
        user_id,
        paid_at as moment,
        false as is_date,
        ['behaviour'] as windows
    from stg_bills
    union all
    select
        user_id,
        applied_at as moment,
        false as is_date,
        ['applications'] as windows
    from stg_loan_applications
    union all
    select
        user_id,
        unnest([occurred_at, resolved_at]) as moment,
        false as is_date,
        [] as windows
    from stg_negative_records
    union all
    select
        user_id,
        requested_at as moment,
        false as is_date,
        [] as windows
    from stg_repair_requests
    union all
    select
        user_id,
        unnest([since, ended_at]) as moment,
        false as is_date,
        [] as windows
    from stg_relationships
    union all
    select
        user_id,
        cast(as_of as timestamp) as moment,
        true as is_date,
        [] as windows
    from stg_assets
    union all
    select
        user_id,
        event_ts as moment,
        false as is_date,
        ['risk'] as windows
    from stg_risk_events
),

edge_passed as (
    select moments.user_id
    from moments
    cross join dates
    where
        moments.user_id between $user_from and $user_to
        and moments.moment is not null
        and (
            edge_passed(
                moments.moment,
                case
                    when moments.is_date then dates.previous_date
                    else day_end(dates.previous_date)
                end,
                day_end(dates.snapshot_date)
            )
            or list_contains(moments.windows, 'overdue') and window_start_passed(
                moments.moment, dates.previous_date, dates.snapshot_date, $overdue_lookback_months
            )
            or list_contains(moments.windows, 'behaviour') and window_start_passed(
                moments.moment, dates.previous_date, dates.snapshot_date, $behaviour_window_months
            )
            or list_contains(moments.windows, 'profile') and window_start_passed(
                moments.moment,
                dates.previous_date,
                dates.snapshot_date,
                $profile_change_window_months
            )
            or list_contains(moments.windows, 'risk') and window_start_passed(
                moments.moment,
                dates.previous_date,
                dates.snapshot_date,
                $risk_event_lookback_months
            )
            or list_contains(moments.windows, 'applications') and edge_passed(
                moments.moment,
                days_window_start(dates.previous_date, $recent_applications_days),
                days_window_start(dates.snapshot_date, $recent_applications_days)
            )
        )
),

retention_ended as (
    select user_id
    from stg_negative_records
    where
        user_id between $user_from and $user_to
        and edge_passed(
            record_counts_until(
                category,
                resolved_at,
                day_end(cast($snapshot_date as date)),
                $life_retention_years,
                $legal_financial_retention_years
            ),
            day_end(cast($previous_date as date)),
            day_end(cast($snapshot_date as date))
        )
),

unpaid_bills as (
    select user_id
    from stg_bills
    where
        user_id between $user_from and $user_to
        and due_date <= cast($snapshot_date as date)
        and not coalesce(
            paid_at < day_end(cast($previous_date as date)) and amount_paid >= amount_due,
            false
        )
),

users_at_date as (
    select
        user_id,
        registered_at,
        score_refresh_day,
        coalesce(
            score_refresh_date(cast($snapshot_date as date), score_refresh_day)
            <> score_refresh_date(cast($previous_date as date), score_refresh_day),
            false
        ) as refresh_day_moved,
        date_diff('month', cast(registered_at as date), cast($snapshot_date as date))
        <> date_diff('month', cast(registered_at as date), cast($previous_date as date))
            as history_month_moved
    from stg_users
    where
        user_id between $user_from and $user_to
        and registered_at < day_end(cast($snapshot_date as date))
),

previous_rows as (
    select user_id
    from score_snapshots
    where
        snapshot_date = cast($previous_date as date)
        and user_id between $user_from and $user_to
),

new_users as (
    select users_at_date.user_id
    from users_at_date
    anti join previous_rows
        on users_at_date.user_id = previous_rows.user_id
),

-- every user's row at P, not only the partition's: friends may be in any partition
changed_friends as (
    select at_previous.user_id
    from score_snapshots as at_previous
    left join score_snapshots as before_previous
        on
            at_previous.user_id = before_previous.user_id
            and before_previous.snapshot_date = cast($before_previous_date as date)
    where
        at_previous.snapshot_date = cast($previous_date as date)
        and at_previous.published_score is not null
        and at_previous.published_score is distinct from before_previous.published_score
),

friend_moved as (
    select stg_relationships.user_id
    from stg_relationships
    semi join changed_friends
        on stg_relationships.friend_id = changed_friends.user_id
    where stg_relationships.user_id between $user_from and $user_to
),

causes as (
    select
        user_id,
        1 as priority,
        'changed_rows' as why
    from user_changes
    where user_id between $user_from and $user_to
    union all
    select
        user_id,
        2 as priority,
        'new_user' as why
    from new_users
    union all
    select
        user_id,
        3 as priority,
        'edge_passed' as why
    from edge_passed
    union all
    select
        user_id,
        3 as priority,
        'edge_passed' as why
    from retention_ended
    union all
    select
        user_id,
        4 as priority,
        'unpaid_bill' as why
    from unpaid_bills
    union all
    select
        user_id,
        5 as priority,
        'refresh_day' as why
    from users_at_date
    where refresh_day_moved
    union all
    select
        user_id,
        5 as priority,
        'history_month' as why
    from users_at_date
    where history_month_moved
    union all
    select
        user_id,
        6 as priority,
        'friend_score' as why
    from friend_moved
),

final as (
    select
        cast(user_id as bigint) as user_id,
        cast(arg_min(why, priority) as varchar) as why
    from causes
    where $previous_date is not null
    group by user_id
)

select * from final
