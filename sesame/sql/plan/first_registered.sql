-- first_registered: when the first user was registered (null: the users export holds none),
-- for the error when no user is registered by D (sesame/freshness.py).
-- depends on: stg_users
select min(registered_at) as registered_at
from stg_users
