-- The tables the job owns in warehouse/sesame.duckdb (contract v2, sections 3 and 5).
-- Created when missing; a run only ever adds or replaces rows inside its own transaction.

create table if not exists score_snapshots (
    user_id bigint not null,
    snapshot_date date not null,
    score integer,
    credit_history double,
    identity double,
    capacity double,
    behavior double,
    relationships double,
    tier varchar not null,
    benefits varchar[] not null,
    published_score integer,
    reasons varchar[] not null,
    model_version varchar not null,
    run_id varchar not null,
    carried_from date
);
-- carried_from: NULL when the row was computed for its date; else the date it was last computed
-- for, its row carried forward unchanged by an incremental night (see sesame/incremental.py)
alter table score_snapshots add column if not exists carried_from date;

-- The users whose staged rows changed (loaded, replaced or taken out by ingest) since the latest
-- snapshot was computed: an incremental night scores them again. Scoring the latest date
-- empties it (that date saw every change).
create table if not exists user_changes (
    user_id bigint not null
);

create table if not exists snapshot_dates (
    snapshot_date date not null,
    model_version varchar not null,
    users bigint not null,
    users_unscorable bigint not null,
    run_id varchar not null,
    computed_at timestamp not null
);

create table if not exists quarantine (
    table_name varchar not null,
    source_file varchar not null,
    reason varchar not null,
    row_json json,
    run_id varchar not null
);

create table if not exists repair_decisions (
    request_id bigint not null,
    user_id bigint not null,
    bill_id bigint not null,
    requested_at timestamp not null,
    reason varchar not null,
    decision varchar not null,
    rule varchar not null,
    decided_as_of date not null,
    run_id varchar not null
);

-- One row per delivered export file (contract v2: delivered files do not change). size_bytes,
-- modified_ns and content_sha256 are what the file was when last checked (a touch with the
-- same bytes refreshes modified_ns); delivery_ns is the modification time of its original
-- delivery, its place in the delivery order (an accepted changed file keeps it). A warehouse
-- from before has NULL in both: its files are hashed on their next check.
create table if not exists ingested_files (
    table_name varchar not null,
    source_file varchar not null,
    size_bytes bigint not null,
    modified_at timestamp not null,
    modified_ns bigint not null,
    rows_read bigint not null,
    rows_quarantined bigint not null,
    run_id varchar not null,
    content_sha256 varchar,
    delivery_ns bigint
);

-- warehouses made before ingest recorded content hashes and delivery times
alter table ingested_files add column if not exists content_sha256 varchar;
alter table ingested_files add column if not exists delivery_ns bigint;

create table if not exists runs (
    run_id varchar not null,
    command varchar not null,
    as_of date,
    started_at timestamp not null,
    finished_at timestamp not null,
    status varchar not null,
    snapshot_dates date[] not null,
    files_ingested bigint not null,
    rows_ingested bigint not null,
    rows_quarantined bigint not null,
    users_scored bigint not null,
    model_version varchar not null,
    contract_version varchar not null,
    sesame_version varchar not null,
    error varchar,
    step_seconds json,
    stale_accepted boolean,
    freshness json,
    validation_warnings varchar[],
    empty_tables varchar[]
);
-- columns added after the first release: a warehouse made before them gets them empty
alter table runs add column if not exists stale_accepted boolean;
alter table runs add column if not exists freshness json;
alter table runs add column if not exists validation_warnings varchar[];
alter table runs add column if not exists empty_tables varchar[];

-- What a report date's reports were computed from, where a later date may reuse them: the
-- stuck reports depend only on the month-end snapshots, so a night that adds no month-end (and
-- re-scores none) copies the previous rows instead of recomputing them. basis names the inputs.
create table if not exists report_bases (
    report_date date not null,
    report varchar not null,
    basis varchar not null
);

-- The score of a user at their score refresh day, computed point in time for a night that had no
-- snapshot of that day (a first nightly, or nights after a gap): the published score of every
-- night until the next refresh day, so the nights after it read it here instead of scoring the
-- day again. A snapshot of the day, when there is one, is what counts (it is read first).
create table if not exists refresh_day_scores (
    user_id bigint not null,
    refresh_date date not null,
    score integer,
    model_version varchar not null,
    run_id varchar not null
);

-- warehouses made before runs recorded failures and step timings
alter table runs add column if not exists error varchar;
alter table runs add column if not exists step_seconds json;

-- A challenger card's snapshots (contract section 5): the columns of score_snapshots (so they
-- have one home), scored by another card on the same requests; never published
-- (published_score is NULL).
create table if not exists challenger_snapshots as
select * from score_snapshots
where false;
alter table challenger_snapshots add column if not exists carried_from date;
