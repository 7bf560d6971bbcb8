-- score_bands: bad rate by score band, observed and predicted, per model.
-- parameters: $report_date
select
    model_version,
    band_low,
    users,
    bads,
    bad_rate,
    predicted_bad_rate
from report_score_bands
where report_date = $report_date
order by model_version, band_low
