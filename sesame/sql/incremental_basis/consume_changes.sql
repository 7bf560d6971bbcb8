-- consume_changes: empties user_changes once the latest snapshot date is scored (it saw every
-- change ingest recorded; sesame/incremental.py, consume_changes).
-- depends on: user_changes
delete from user_changes
