-- tables_named: how many tables named $name there are, temporary ones aside (any attached
-- database, any schema): none when a validation's snapshot table is absent (sesame/validation.py).
-- depends on: duckdb_tables()
-- parameters: $name
select count(*) as tables
from duckdb_tables()
where
    table_name = $name
    and not temporary
