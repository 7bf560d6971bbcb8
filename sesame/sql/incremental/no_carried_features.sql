-- no_carried_features: a full night's stand-in for int_features_carried (no request is
-- friends_only, and no dimension_aggregates need exist yet); fct_user_features reads it.
create or replace temp table int_features_carried (
    user_id bigint,
    snapshot_date date,
    is_snapshot boolean
);
