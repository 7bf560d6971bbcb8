-- top_records: the negative records of the date, newest first.
-- parameters: $d, $n (rows shown)
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
where report_date = $d
order by occurred_at desc, record_id desc
limit $n
