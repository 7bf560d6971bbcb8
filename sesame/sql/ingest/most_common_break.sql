-- most_common_break: the rule the most quarantined rows break, the first file (by path) with
-- one, and how many rows break it, for the circuit breaker's message.
-- depends on: quarantined
select
    quarantine_reason,
    min(source_file) as source_file,
    count(*) as bad_rows
from quarantined
group by quarantine_reason
order by count(*) desc, quarantine_reason asc
limit 1
