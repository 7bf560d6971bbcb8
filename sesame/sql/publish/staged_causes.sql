-- staged_causes: the users a date scored again per cause (int_rescored_users.why), summed over
-- its partitions, and how many of them for a friend's score alone; most users first.
-- depends on: new_rescored_causes
select
    why,
    sum(users) as users,
    coalesce(sum(users) filter (where friends_only), 0) as friends_only
from new_rescored_causes
group by why
order by sum(users) desc, why asc
