-- reuse_stuck: the stuck reports of $earlier (stuck_reused_from.sql) staged as those of
-- $report_date, as a computation would stage them (new_report_*).
-- depends on: report_stuck_users, report_stuck_factors
-- parameters: $report_date, $earlier
create or replace temp table new_report_stuck_users as
select * replace (cast($report_date as date) as report_date)
from report_stuck_users
where report_date = $earlier;

create or replace temp table new_report_stuck_factors as
select * replace (cast($report_date as date) as report_date)
from report_stuck_factors
where report_date = $earlier;
