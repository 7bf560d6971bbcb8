-- report_borrowing_risk: users scoring 700 or more with a reason the borrowing service may be
-- closed, each flag with what triggered it.
-- grain: one row per flagged user; key (report_date, user_id)
-- score_declining     each of the last $declining_months month-end scores lower than the
--                     month-end before it, by $declining_min_points or more in all
-- abnormal_borrowing  $spree_applications or more loan applications, or two or more for
--                     $spree_amount_cny CNY or more in all, in the last
--                     $recent_applications_days days
-- identity_churn      $churn_changes or more phone and address changes in the last
--                     $profile_change_window_months months
-- platform_violation  a risk event in the last $risk_event_lookback_months months
-- depends on: score_snapshots, fct_month_end_scores, fct_user_events, dimension_aggregates
-- (the published features)
-- parameters: $report_date, $borrowing_risk_min_score, $declining_months,
-- $declining_min_points, $spree_applications, $spree_amount_cny, $recent_applications_days,
-- $churn_changes, $profile_change_window_months, $risk_event_lookback_months
with high_scores as (
    select
        user_id,
        score
    from score_snapshots
    where snapshot_date = $report_date and score >= $borrowing_risk_min_score
),

recent_month_ends as (
    select
        fct_month_end_scores.user_id,
        fct_month_end_scores.months_back,
        fct_month_end_scores.score
    from fct_month_end_scores
    inner join high_scores
        on fct_month_end_scores.user_id = high_scores.user_id
    where
        fct_month_end_scores.months_back <= $declining_months
        and fct_month_end_scores.score is not null
),

trend as (
    select
        user_id,
        list(score order by months_back desc) as month_end_scores,
        count(*) as month_ends
    from recent_month_ends
    group by user_id
),

-- strictly decreasing: sorted high to low already, and no two alike
declining as (
    select
        user_id,
        month_end_scores
    from trend
    where
        month_ends = $declining_months + 1
        and list_sort(month_end_scores, 'DESC') = month_end_scores
        and len(list_distinct(month_end_scores)) = month_ends
        and month_end_scores[1] - month_end_scores[-1] >= $declining_min_points
),

applications as (
    select
        high_scores.user_id,
        count(*) as applications,
        sum(fct_user_events.amount) as applied_cny
    from high_scores
    inner join fct_user_events
        on
            high_scores.user_id = fct_user_events.user_id
            and fct_user_events.event_kind = 'loan_application'
            and in_window(
                fct_user_events.event_at,
                days_window_start($report_date, $recent_applications_days),
                $report_date
            )
    group by high_scores.user_id
),

-- the identity dimension's counts of the date (int_features_identity, the same window)
churn as (
    select
        high_scores.user_id,
        dimension_aggregates.phone_changes,
        dimension_aggregates.address_changes
    from high_scores
    inner join dimension_aggregates
        on
            high_scores.user_id = dimension_aggregates.user_id
            and dimension_aggregates.snapshot_date = $report_date
),

violations as (
    select
        high_scores.user_id,
        count(*) as risk_events,
        list(distinct fct_user_events.detail order by fct_user_events.detail) as kinds
    from high_scores
    inner join fct_user_events
        on
            high_scores.user_id = fct_user_events.user_id
            and fct_user_events.event_kind = 'risk_event'
            and in_window(
                fct_user_events.event_at,
                window_start(cast($report_date as date), $risk_event_lookback_months),
                $report_date
            )
    group by high_scores.user_id
),

flagged as (
    select
        high_scores.user_id,
        high_scores.score,
        declining.month_end_scores,
        coalesce(applications.applications, 0) as applications,
        coalesce(applications.applied_cny, 0) as applied_cny,
        coalesce(churn.phone_changes, 0) as phone_changes,
        coalesce(churn.address_changes, 0) as address_changes,
        coalesce(violations.risk_events, 0) as risk_events,
        violations.kinds as risk_event_kinds,
        declining.user_id is not null as is_declining,
        (
            coalesce(applications.applications, 0) >= $spree_applications
            or (
                coalesce(applications.applications, 0) >= 2
                and coalesce(applications.applied_cny, 0) >= $spree_amount_cny
            )
        ) as is_abnormal_borrowing,
        coalesce(churn.phone_changes + churn.address_changes, 0) >= $churn_changes as is_churn,
        coalesce(violations.risk_events, 0) > 0 as is_violation
    from high_scores
    left join declining on high_scores.user_id = declining.user_id
    left join applications on high_scores.user_id = applications.user_id
    left join churn on high_scores.user_id = churn.user_id
    left join violations on high_scores.user_id = violations.user_id
),

final as (
    select
        cast($report_date as date) as report_date,
        cast(user_id as bigint) as user_id,
        cast(score as integer) as score,
        cast(list_concat(
            case when is_declining then ['score_declining'] else [] end,
            case when is_abnormal_borrowing then ['abnormal_borrowing'] else [] end,
            case when is_churn then ['identity_churn'] else [] end,
            case when is_violation then ['platform_violation'] else [] end
        ) as varchar[]) as flags,
        cast(list_concat(
            case
                when is_declining
                    then [
                        'score_declining: month-end scores '
                        || array_to_string(month_end_scores, ' > ')
                    ]
                else []
            end,
            case
                when is_abnormal_borrowing
                    then [
                        'abnormal_borrowing: ' || applications || ' loan application(s) for '
                        || format('{:,}', cast(round(applied_cny) as bigint)) || ' CNY in '
                        || $recent_applications_days || ' days'
                    ]
                else []
            end,
            case
                when is_churn
                    then [
                        'identity_churn: ' || phone_changes || ' phone and '
                        || address_changes || ' address changes in '
                        || $profile_change_window_months || ' months'
                    ]
                else []
            end,
            case
                when is_violation
                    then [
                        'platform_violation: ' || risk_events || ' risk event(s) ('
                        || array_to_string(risk_event_kinds, ', ') || ') in '
                        || $risk_event_lookback_months || ' months'
                    ]
                else []
            end
        ) as varchar[]) as triggers,
        cast(applications as integer) as loan_applications_recent,
        cast(applied_cny as double) as applied_cny_recent,
        cast(phone_changes as integer) as phone_changes,
        cast(address_changes as integer) as address_changes,
        cast(risk_events as integer) as risk_events
    from flagged
    where is_declining or is_abnormal_borrowing or is_churn or is_violation
)

select * from final
