-- attached_path: the file attached as $alias (the run's copy of the warehouse), null or no row
-- when none is (sesame/cluster.py, attached_path).
-- depends on: duckdb_databases()
-- parameters: $alias
select path
from duckdb_databases()
where database_name = $alias
