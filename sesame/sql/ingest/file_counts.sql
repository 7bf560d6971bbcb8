-- file_counts: per new file of a table, the rows read and the rows quarantined, for its
-- manifest entry (ingested_files.rows_read, rows_quarantined).
-- depends on: file_rows, quarantined
select
    file_rows.source_file,
    file_rows.rows,
    count(quarantined.source_file) as quarantined
from file_rows
left join quarantined
    on file_rows.source_file = quarantined.source_file
group by file_rows.source_file, file_rows.rows
