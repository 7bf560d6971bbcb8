-- carry_runs: the runs rows of the file a rebuild replaces (carried_runs, a frame the code
-- registers: replaced_runs.sql) added to the rebuilt warehouse's, but the runs it holds already.
-- depends on: runs, carried_runs
insert into runs by name
select * from carried_runs
where run_id not in (select runs.run_id from runs)
