-- partition_features: a partition's features (fct_user_features, every request's), read into
-- Polars to be scored by the champion (scored_requests: stage_partition.sql) and a challenger
-- (challenger_scored: marts/fct_challenger_snapshots.sql).
-- depends on: fct_user_features
select * from fct_user_features
