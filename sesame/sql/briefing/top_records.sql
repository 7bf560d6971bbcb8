-- top_records: the negative records of the date, newest first.
-- parameters: $report_date, $top_rows (rows shown)
select
    record_id,
    user_id,
    category,
    source,
    status,
    occurred_at,
    resolved_at,
    counts_until
from report_negative_records
where report_date = $report_date
order by occurred_at desc, record_id desc
limit $top_rows
