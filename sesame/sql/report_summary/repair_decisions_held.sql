-- repair_decisions_held: how many repair decisions the warehouse holds (the latest scored
-- date's), for the reports' summary line beside the rows of each report table
-- (sesame/reports.py, build_reports).
-- depends on: repair_decisions
select count(*) as decisions
from repair_decisions
