-- main_table_names: the tables of the current database's main schema, where the rollups are
-- kept: those present are not built again (sesame/rollups.py, ensure_rollups).
-- depends on: duckdb_tables()
select table_name
from duckdb_tables()
where
    database_name = current_database()
    and schema_name = 'main'
