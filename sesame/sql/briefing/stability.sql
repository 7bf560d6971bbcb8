-- stability: the champion's characteristics that moved most.
-- parameters: $report_date, $champion
select
    characteristic,
    csi_vs_snapshot,
    csi_vs_previous_month_end
from report_characteristic_stability
where report_date = $report_date and model_version = $champion
order by csi_vs_snapshot desc nulls last, characteristic asc
limit 8
