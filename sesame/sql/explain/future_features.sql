-- future_features: the characteristics the feature models computed for the future requests
-- (future_requests.sql), one row per date, oldest first.
-- depends on: fct_user_features
select * from fct_user_features
order by snapshot_date
