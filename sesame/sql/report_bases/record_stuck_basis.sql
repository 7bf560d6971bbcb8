-- record_stuck_basis: what the stuck reports of $report_date were computed from ($basis), for
-- later nights to reuse them (stuck_reused_from.sql); a date reported again replaces its row.
-- parameters: $report_date, $basis
delete from report_bases
where
    report = 'stuck'
    and report_date = $report_date;

insert into report_bases values ($report_date, 'stuck', $basis);
