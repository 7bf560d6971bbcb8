-- int_feature_requests: the requests of score_requests whose features are computed.
-- grain: one row per (user_id, snapshot_date) of score_requests but the friends_only ones
-- A friends_only request (int_score_requests: only a friend's published score changed) has its
-- other dimensions carried (int_features_carried); every feature model but the relationships one
-- reads this table, so the rule that skips it has this one home.
-- depends on: score_requests
select
    user_id,
    snapshot_date
from score_requests
where not friends_only
