-- repair_rules: repair requests by rule and decision.
select
    rule,
    decision,
    count(*) as requests
from repair_decisions
group by all
order by requests desc
