-- inputs: the files and rows the run read and quarantined, and the totals of every run.
-- parameters: $run_id (the run)
with every_run as (
    select
        (select count(*) from ingested_files) as files_all,
        (select count(*) from quarantine) as quarantined_all
),

this_run as (
    select
        count(*) as files,
        coalesce(sum(rows_read), 0) as rows_read,
        coalesce(sum(rows_quarantined), 0) as rows_quarantined
    from ingested_files
    where run_id = $run_id
)

select
    this_run.files,
    this_run.rows_read,
    this_run.rows_quarantined,
    every_run.files_all,
    every_run.quarantined_all
from this_run
cross join every_run
