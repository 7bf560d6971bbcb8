-- any_snapshot: whether the warehouse holds any snapshot; until it does every night is full,
-- and ingest records no user_changes (a first load would list every user).
-- depends on: score_snapshots
select exists (from score_snapshots) as has_snapshot
