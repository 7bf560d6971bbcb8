-- integer_aggregates: the columns of dimension_aggregates of an integer type, whose fitted bin
-- edges are whole numbers (sesame/fitting.py).
-- depends on: information_schema.columns
select column_name
from information_schema.columns
where
    table_name = 'dimension_aggregates'
    and data_type in ('INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT')
