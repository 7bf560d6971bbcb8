-- fct_negative_records: the negative records a report can name: every staged record but those
-- removed on appeal (which never count, contract section 2).
-- grain: one row per record; key record_id
-- A view, not a table (sqlmodels.define_view): its readers filter it by date and user.
with records as (
    select
        record_id,
        user_id,
        category,
        source,
        occurred_at,
        resolved_at
    from stg_negative_records
    where not removed_on_appeal
),

final as (
    select
        cast(record_id as bigint) as record_id,
        cast(user_id as bigint) as user_id,
        cast(category as varchar) as category,
        cast(source as varchar) as source,
        cast(occurred_at as timestamp) as occurred_at,
        cast(resolved_at as timestamp) as resolved_at
    from records
)

select * from final
