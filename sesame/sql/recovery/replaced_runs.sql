-- replaced_runs: every runs row of the file a rebuild replaces (read on its own connection), to
-- carry the audit trail over (carry_runs.sql).
-- depends on: runs
select * from runs
