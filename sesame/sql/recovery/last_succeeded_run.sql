-- last_succeeded_run: a warehouse file's last successful run (no row when none), for its backup
-- listing (sesame/recovery.py, _contents).
-- depends on: runs
select run_id
from runs
where status = 'succeeded'
order by finished_at desc
limit 1
