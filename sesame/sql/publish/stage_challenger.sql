-- stage_challenger: a partition's snapshots by a challenger card (partition_challenger_snapshots,
-- marts/fct_challenger_snapshots.sql) staged with its date's others (new_challenger_snapshots,
-- stage_tables.sql) for the date's replace (replace_date.sql).
-- depends on: new_challenger_snapshots, partition_challenger_snapshots
insert into new_challenger_snapshots by name
from partition_challenger_snapshots
