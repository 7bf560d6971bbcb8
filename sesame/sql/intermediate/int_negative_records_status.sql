-- int_negative_records_status: each negative record known at a scored date and whether it counts.
-- grain: one row per (user_id, snapshot_date, record_id), for the requests of
-- int_feature_requests
-- A record counts from occurred_at. Resolved (resolved_at by the date), a legal or financial
-- record stops counting $legal_financial_retention_years after resolved_at, a life record
-- $life_retention_years after; unresolved it keeps counting (counts_until null). A record
-- removed on appeal never counts and is left out.
-- parameters: $legal_financial_retention_years, $life_retention_years
with records as (
    select
        record_id,
        user_id,
        category,
        occurred_at,
        resolved_at
    from stg_negative_records
    where not removed_on_appeal
),

known_records as (
    select
        requests.snapshot_date,
        records.*,
        record_counts_until(
            records.category,
            records.resolved_at,
            day_end(requests.snapshot_date),
            $life_retention_years,
            $legal_financial_retention_years
        ) as counts_until
    from int_feature_requests as requests
    inner join records
        on
            requests.user_id = records.user_id
            and records.occurred_at < day_end(requests.snapshot_date)
),

final as (
    select
        cast(user_id as bigint) as user_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(record_id as bigint) as record_id,
        cast(category as varchar) as category,
        cast(occurred_at as timestamp) as occurred_at,
        cast(counts_until as timestamp) as counts_until,
        cast(
            counts_until is null or counts_until >= day_end(snapshot_date) as boolean
        ) as is_counting
    from known_records
)

select * from final
