-- no_rescored_users: a full night's stand-in for int_rescored_users (everyone is scored, so no
-- user has a cause to list); int_score_requests reads it only on an incremental night.
create or replace temp table int_rescored_users (
    user_id bigint,
    why varchar
);
