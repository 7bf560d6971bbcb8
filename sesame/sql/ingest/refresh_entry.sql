-- refresh_entry: a delivered file's manifest entry given its new modification time and hash,
-- when its bytes are unchanged (sesame/ingest.py, _refresh_entry).
-- depends on: ingested_files
-- parameters: $modified_ns, $modified_at, $sha256, $table, $source_file
update ingested_files set
    modified_ns = $modified_ns,
    modified_at = $modified_at,
    content_sha256 = $sha256
where table_name = $table and source_file = $source_file
