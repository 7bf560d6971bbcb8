-- bad_rows: of a table's new rows (file_rows), how many break the contract's rules
-- (quarantined), for the circuit breaker (sesame/ingest.py, check_bad_row_share).
-- depends on: file_rows, quarantined
select
    (select sum(file_rows.rows) from file_rows) as new_rows,
    (select count(*) from quarantined) as bad_rows
