-- bad_rows: of a table's new rows (file_rows), how many break the contract's rules
-- (quarantined), for the circuit breaker (sesame/ingest.py, check_bad_row_share).
-- depends on: file_rows, quarantined
with totals as (
    select sum(rows) as new_rows
    from file_rows
),

bad as (
    select count(*) as bad_rows
    from quarantined
)

select
    totals.new_rows,
    bad.bad_rows
from totals
cross join bad
