-- quarantined: the run's quarantined rows by table and reason.
-- parameters: $run_id (the run)
select
    table_name,
    reason,
    count(*) as rows_
from quarantine
where run_id = $run_id
group by all
order by rows_ desc, table_name asc
limit 10
