-- stage_tables: the empty tables a date's scored partitions are staged into (stage_partition.sql),
-- shaped as the warehouse tables they replace rows of (replace_date.sql); new_features is made by
-- the first partition, from fct_user_features. Run before a date's first partition.
-- depends on: score_snapshots, repair_decisions, refresh_day_scores, challenger_snapshots
create or replace temp table new_snapshots as
select * from score_snapshots
where false;

drop table if exists new_features;

create or replace temp table new_repairs as
select * from repair_decisions
where false;

create or replace temp table new_refresh_day_scores as
select * from refresh_day_scores
where false;

create or replace temp table new_challenger_snapshots as
select * from challenger_snapshots
where false;

create or replace temp table new_rescored_causes (
    why varchar,
    friends_only boolean,
    users bigint
);
