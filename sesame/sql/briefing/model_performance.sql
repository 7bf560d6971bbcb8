-- model_performance: each model's validation of the date, the champion first.
-- parameters: $report_date, $champion
select
    model_version,
    snapshot_date,
    status,
    users,
    bads,
    indeterminate,
    bad_rate,
    auc,
    gini,
    ks,
    gini_low,
    gini_high,
    oracle_gini,
    psi_vs_snapshot,
    warnings,
    cap_curve
from report_model_performance
where report_date = $report_date
order by model_version <> $champion, model_version
