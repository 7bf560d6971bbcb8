-- published_columns: the tables of the database's main schema (not temporary ones) by name,
-- each with its columns in order, whose COMMENTs a run writes (sesame/catalog.py).
-- depends on: duckdb_columns()
select
    table_name,
    list(column_name order by column_index) as columns
from duckdb_columns()
where
    database_name = current_database()
    and schema_name = 'main'
    and not internal
group by table_name
order by table_name
