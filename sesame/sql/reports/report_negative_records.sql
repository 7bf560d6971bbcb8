-- report_negative_records: the negative records that count at the report date, and those that
-- stopped counting since the previous snapshot date.
-- grain: one row per record; key (report_date, record_id)
-- status 'counting': occurred by the date, not removed on appeal, unresolved or resolved less
-- than the retention ago (counts_until null while unresolved); 'expired': counts_until fell
-- after the previous snapshot date and by the end of the report date.
-- depends on: fct_negative_records, snapshot_dates (the previous snapshot date)
-- parameters: $report_date, $legal_financial_retention_years, $life_retention_years
with previous_date as (
    select max(snapshot_date) as snapshot_date
    from snapshot_dates
    where snapshot_date < cast($report_date as date)
),

records as (
    select
        record_id,
        user_id,
        category,
        source,
        occurred_at,
        resolved_at,
        record_counts_until(
            category,
            resolved_at,
            day_end($report_date),
            $life_retention_years,
            $legal_financial_retention_years
        ) as counts_until
    from fct_negative_records
    where occurred_at < day_end($report_date)
),

classified as (
    select
        records.*,
        case
            when records.counts_until is null or records.counts_until >= day_end($report_date)
                then 'counting'
            when
                previous_date.snapshot_date is not null
                and records.counts_until >= day_end(previous_date.snapshot_date)
                then 'expired'
        end as status
    from records
    cross join previous_date
),

final as (
    select
        cast($report_date as date) as report_date,
        cast(record_id as bigint) as record_id,
        cast(user_id as bigint) as user_id,
        cast(category as varchar) as category,
        cast(source as varchar) as source,
        cast(occurred_at as timestamp) as occurred_at,
        cast(case when counts_until is not null then resolved_at end as timestamp)
            as resolved_at,
        cast(counts_until as timestamp) as counts_until,
        cast(status as varchar) as status
    from classified
    where status is not null
)

select * from final
