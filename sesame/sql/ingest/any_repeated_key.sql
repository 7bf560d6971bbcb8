-- any_repeated_key: whether a key comes more than once among a table's new rows
-- (repeated_keys, usually empty): only then are the keys repeated within a file looked for and
-- the later file's row kept by a window (sesame/ingest.py, _checked_rows and _merge).
-- depends on: repeated_keys
select exists (from repeated_keys) as any_repeated
