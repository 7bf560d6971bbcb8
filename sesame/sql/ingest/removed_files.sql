-- removed_files: the paths of a table's delivered files an accepted change or removal takes
-- out (removed_files_frame, a frame the code registers: sesame/ingest.py, _remove_files), as a
-- table for the statements that take their rows and manifest entries out.
-- depends on: removed_files_frame
create or replace temp table removed_files as
from removed_files_frame
