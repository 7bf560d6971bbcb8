-- fct_outcome_basis: what the outcomes of a snapshot date S (fct_outcomes) are computed from, as
-- one text: two nights with the same text have the same outcomes of S, so the stored ones are
-- read (sesame/validation.py). It hashes what fct_outcomes and the repair decisions it reads
-- take from their inputs, as they stand at the end of the performance window:
--   the bills due by then: every column the two read, a payment only when it was made by then
--     (one made later is read as none, as the window's end sees it);
--   the repair requests made by then;
--   the scores at S.
-- A new night's bills (due later), a late payment of an old bill, or the same rows delivered
-- again leave it as it was; a corrected bill of the window changes it.
-- grain: one row
-- depends on: stg_bills, stg_repair_requests, score_snapshots
-- parameters: $snapshot_date, $performance_end
with bills as (
    select
        count(*) as rows,
        coalesce(bit_xor(hash(
            bill_id,
            user_id,
            product,
            due_date,
            amount_due,
            deliberate_default,
            case when paid_at < day_end($performance_end) then paid_at end,
            case when paid_at < day_end($performance_end) then amount_paid end
        )), 0) as digest
    from stg_bills
    where due_date <= $performance_end
),

requests as (
    select
        count(*) as rows,
        coalesce(bit_xor(hash(request_id, ingest_run_id)), 0) as digest
    from stg_repair_requests
    where requested_at < day_end($performance_end)
),

scores as (
    select
        count(*) as rows,
        coalesce(bit_xor(hash(user_id, score, run_id)), 0) as digest
    from score_snapshots
    where snapshot_date = $snapshot_date
),

final as (
    select
        bills.rows || ':' || bills.digest
        || '|' || requests.rows || ':' || requests.digest
        || '|' || scores.rows || ':' || scores.digest as basis
    from bills
    cross join requests
    cross join scores
)

select * from final
