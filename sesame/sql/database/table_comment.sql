-- table_comment: the COMMENT of table $table (main schema): what it holds, for the title of
-- `sesame describe TABLE`.
-- depends on: duckdb_tables()
-- parameters: $table
select comment
from duckdb_tables()
where
    database_name = current_database()
    and schema_name = 'main'
    and table_name = $table
