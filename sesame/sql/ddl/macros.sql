-- Logic used by more than one model, as DuckDB macros (created on every connection).

-- The exclusive upper bound of a snapshot date: an event counts at D when its time is before
-- D + 1 day (contract: event time <= D 23:59:59.999999).
create or replace temp macro day_end(snapshot_date) as
cast(snapshot_date as timestamp) + interval 1 day;

-- The user's latest score refresh day on or before the snapshot date (refresh_day is 1..28).
create or replace temp macro score_refresh_date(snapshot_date, refresh_day) as
case
    when refresh_day is null then null
    when day(snapshot_date) >= refresh_day
        then cast(date_trunc('month', snapshot_date) as date) + cast(refresh_day - 1 as integer)
    else
        cast(date_trunc('month', snapshot_date) - interval 1 month as date)
        + cast(refresh_day - 1 as integer)
end;

-- The earliest date score_refresh_date can give for a snapshot date: the 28th of the month
-- before is at most 31 days back. Reads of stored refresh day scores start here, so that they
-- stay one month long however long the history is.
create or replace temp macro earliest_refresh_date(snapshot_date) as
cast(snapshot_date as date) - 31;

-- The first day of the window of `months` months that ends with the snapshot date.
create or replace temp macro window_start(snapshot_date, months) as
cast(snapshot_date - to_months(cast(months as integer)) as date) + 1;

-- A timestamp of any unit (or a date) floored to microseconds: a cast would round
-- 23:59:59.9999995 up into the next day. Only timestamp_ns has units below a microsecond, and
-- only it goes through nanoseconds (its range, 1677..2262, is all it can hold): a timestamp
-- (Parquet us, ms and s are all read as one) or a date is taken as it is, so year 1 or 9999
-- never overflows; ingest quarantines values outside the contract's range. A date beyond the
-- range of a timestamp (year 290,000 and more) becomes +-infinity rather than stop the read.
create or replace temp macro floor_to_microseconds(value) as
case
    when typeof(value) = 'DATE'
        then
            case
                when cast(value as date) > date '9999-12-31' then timestamp 'infinity'
                when cast(value as date) < date '0001-01-01' then timestamp '-infinity'
                else cast(value as timestamp)
            end
    when typeof(value) <> 'TIMESTAMP_NS' or not isfinite(cast(value as timestamp_ns))
        then cast(value as timestamp)
    else
        make_timestamp(
            (
                epoch_ns(cast(value as timestamp_ns))
                - ((epoch_ns(cast(value as timestamp_ns)) % 1000) + 1000) % 1000
            ) // 1000
        )
end;

-- The first moment of the window of `days` days that ends with the snapshot date: the window is
-- [days_window_start(D, days), day_end(D)).
create or replace temp macro days_window_start(snapshot_date, days) as
day_end(snapshot_date) - to_days(cast(days as integer));

-- Whether an event's moment counts in the window that starts at window_first (window_start or
-- days_window_start) and ends with the snapshot date: window_first <= moment < day_end(D).
create or replace temp macro in_window(moment, window_first, snapshot_date) as
moment >= window_first and moment < day_end(snapshot_date);

-- Whether a moment lies in [at_previous, at_date): an edge (a window's start, the end of a day)
-- moved past it between the day before D (at_previous) and D (at_date). int_rescored_users.
create or replace temp macro edge_passed(moment, at_previous, at_date) as
moment >= at_previous and moment < at_date;

-- Whether the start of the window of `months` months that ends with the snapshot date moved
-- past a moment between previous_date (P) and snapshot_date (D). int_rescored_users.
create or replace temp macro window_start_passed(moment, previous_date, snapshot_date, months) as
edge_passed(moment, window_start(previous_date, months), window_start(snapshot_date, months));

-- When a negative record stops counting (contract section 2): a legal or financial record
-- legal_financial_years after it was resolved, a life record life_years after; null (it keeps
-- counting) while it is unresolved at at_end, the end of the date it is read at. The one home
-- of the rule: int_negative_records_status, int_rescored_users, report_negative_records.
create or replace temp macro record_counts_until(
    category, resolved_at, at_end, life_years, legal_financial_years
) as
case
    when resolved_at >= at_end then null
    when category = 'life' then resolved_at + to_years(cast(life_years as integer))
    else resolved_at + to_years(cast(legal_financial_years as integer))
end;
