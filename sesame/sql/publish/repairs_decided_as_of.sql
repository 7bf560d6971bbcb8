-- repairs_decided_as_of: the date the warehouse's repair decisions were made as of (null: none
-- yet); a date scored at or after it replaces them (replace_date.sql, $replace_repairs).
-- depends on: repair_decisions
select max(decided_as_of) as decided_as_of
from repair_decisions
