-- delivered_files: the manifest's entry of every file of export $table, one per path (a path
-- recorded more than once, by warehouses from before changed files stopped the run: its latest).
-- depends on: ingested_files
-- parameters: $table
select
    source_file,
    size_bytes,
    modified_ns,
    coalesce(delivery_ns, modified_ns) as delivery_ns,
    content_sha256,
    run_id
from ingested_files
where table_name = $table
qualify row_number() over (partition by source_file order by modified_ns desc) = 1
