-- latest_due_date: the latest due date of a staged bill (null: none staged), the end of the
-- performance windows a fit can close.
-- depends on: stg_bills
select max(due_date) as due_date
from stg_bills
