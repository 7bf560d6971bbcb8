-- truth_pd: the generator's truth (its _truth/user_months files, $files): each user's
-- probability of going bad within 12 months at the month-end $snapshot_date, for the oracle
-- Gini a validation compares the cards with (sesame/validation.py, _oracle_gini).
-- depends on: the truth files
-- parameters: $files, $snapshot_date
select
    user_id,
    pd_12m
from read_parquet($files)
where month_end = $snapshot_date
