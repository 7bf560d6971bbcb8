-- store: the outcomes of the month-end $snapshot_date just computed (fct_outcomes, sesame/
-- outcomes.py) kept for the next nights with their inputs' digest ($basis), replacing the ones
-- stored before for that month-end.
-- depends on: fct_outcomes
-- parameters: $snapshot_date, $basis
create table if not exists validation_outcome_bases (
    snapshot_date date not null,
    basis varchar not null
);

create table if not exists validation_outcomes as
select * from fct_outcomes
where false;

alter table validation_outcomes add column if not exists basis varchar;

delete from validation_outcomes
where snapshot_date = $snapshot_date;

delete from validation_outcome_bases
where snapshot_date = $snapshot_date;

insert into validation_outcomes by name
select
    *,
    cast($basis as varchar) as basis
from fct_outcomes;

insert into validation_outcome_bases values ($snapshot_date, $basis);
