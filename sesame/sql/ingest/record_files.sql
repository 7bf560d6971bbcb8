-- record_files: a table's new files entered into the manifest (manifest_frame, a frame the code
-- registers: sesame/ingest.py, _ingest_table), with their rows read and quarantined
-- (file_counts.sql), so that later nights plan against them (delivered_files.sql).
-- depends on: ingested_files, manifest_frame
insert into ingested_files by name
select * from manifest_frame
