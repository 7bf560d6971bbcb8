-- table_names: the tables of the current database (every schema; not temporary ones, not an
-- attached file's), by name: those a night prunes (sesame/retention.py), those a file's
-- verification reads in turn (sesame/damage.py), those `sesame describe` suggests for a name it
-- does not know (its read-only connection holds no other table).
-- depends on: duckdb_tables()
select table_name
from duckdb_tables()
where database_name = current_database()
order by table_name
