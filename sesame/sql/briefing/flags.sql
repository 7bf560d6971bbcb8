-- flags: users per borrowing-risk flag.
-- parameters: $report_date
with flags as (
    select unnest(flags) as flag
    from report_borrowing_risk
    where report_date = $report_date
)

select
    flag,
    count(*) as users
from flags
group by flag
order by users desc
