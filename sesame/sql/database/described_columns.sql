-- described_columns: the columns of table $table (main schema) in order, with their type and
-- COMMENT (what each holds: sesame/catalog.toml), for `sesame describe TABLE`; no row when
-- there is no such table.
-- depends on: duckdb_columns()
-- parameters: $table
select
    column_name,
    data_type,
    comment
from duckdb_columns()
where
    database_name = current_database()
    and schema_name = 'main'
    and table_name = $table
order by column_index
