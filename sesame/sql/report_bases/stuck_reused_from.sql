-- stuck_reused_from: the latest other report date whose stuck reports were computed from the same
-- month-end snapshots ($basis: sesame/reports.py, _month_end_basis), or null: their rows can be
-- reused for $report_date, since a night that adds no month-end changes neither report.
-- depends on: report_bases
-- parameters: $basis, $report_date
select max(report_date) as report_date
from report_bases
where
    report = 'stuck'
    and basis = $basis
    and report_date <> $report_date
