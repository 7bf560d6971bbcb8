-- challenger_has_date: whether challenger $version has its rows of $previous (the day before):
-- without them the night is full, as the challenger's rows cannot be carried.
-- depends on: challenger_snapshots
-- parameters: $previous, $version
select exists (
    from challenger_snapshots
    where snapshot_date = $previous and model_version = $version
) as has_rows
