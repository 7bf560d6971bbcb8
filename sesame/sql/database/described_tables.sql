-- described_tables: the tables of the database's main schema by name, with their estimated rows
-- and COMMENT (what each holds: sesame/catalog.toml), for `sesame describe`.
-- depends on: duckdb_tables()
select
    table_name,
    estimated_size,
    comment
from duckdb_tables()
where
    database_name = current_database()
    and schema_name = 'main'
order by table_name
