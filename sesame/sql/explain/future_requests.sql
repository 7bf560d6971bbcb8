-- future_requests: the score requests of one user ($user_id) at the future $dates a plan looks
-- at, as the feature models read them (score_requests; every dimension computed, none
-- friends_only); a temporary table, so it works on a read-only connection.
-- parameters: $user_id, $dates
create or replace temp table score_requests as
select
    cast($user_id as bigint) as user_id,
    cast(unnest($dates) as date) as snapshot_date,
    true as is_snapshot,
    false as friends_only
