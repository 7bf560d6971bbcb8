-- int_features_relationships: the relationships dimension's characteristics.
-- grain: one row per (user_id, snapshot_date) of score_requests
-- open_friends             friends whose edge is open at the date (since <= D, ended_at null
--                          or after D)
-- scored_friends           open friends with a published score before the date
-- friends_mean_score       the mean of those friends' most recent published score before the
--                          date (null when no friend has one)
-- parameters: $snapshot_date
with requests as (
    select
        user_id,
        snapshot_date
    from score_requests
),

open_friends as (
    select distinct
        requests.user_id,
        requests.snapshot_date,
        stg_relationships.friend_id
    from requests
    inner join stg_relationships
        on
            requests.user_id = stg_relationships.user_id
            and stg_relationships.since < day_end(requests.snapshot_date)
            and (
                stg_relationships.ended_at is null
                or stg_relationships.ended_at >= day_end(requests.snapshot_date)
            )
),

first_request as (
    select min(snapshot_date) as snapshot_date from requests
),

-- the published scores a request can see: those from the earliest request's date to the
-- latest, and each user's last one before that span (an older one is never the most recent
-- before any request), so the join does not sort every stored snapshot
published as (
    select
        user_id,
        snapshot_date,
        published_score
    from score_snapshots
    where
        published_score is not null
        and snapshot_date >= (select first_request.snapshot_date from first_request)
        and snapshot_date < cast($snapshot_date as date)
    union all
    select
        user_id,
        max(snapshot_date) as snapshot_date,
        arg_max(published_score, snapshot_date) as published_score
    from score_snapshots
    where
        published_score is not null
        and snapshot_date < (select first_request.snapshot_date from first_request)
    group by user_id
),

friend_scores as (
    select
        open_friends.user_id,
        open_friends.snapshot_date,
        open_friends.friend_id,
        published.published_score
    from open_friends
    asof left join published
        on
            open_friends.friend_id = published.user_id
            and open_friends.snapshot_date > published.snapshot_date
),

aggregated as (
    select
        user_id,
        snapshot_date,
        count(*) as open_friends,
        count(published_score) as scored_friends,
        avg(published_score) as friends_mean_score
    from friend_scores
    group by user_id, snapshot_date
),

final as (
    select
        requests.user_id,
        requests.snapshot_date,
        cast(coalesce(aggregated.open_friends, 0) as integer) as open_friends,
        cast(coalesce(aggregated.scored_friends, 0) as integer) as scored_friends,
        cast(aggregated.friends_mean_score as double) as friends_mean_score
    from requests
    left join aggregated
        on
            requests.user_id = aggregated.user_id
            and requests.snapshot_date = aggregated.snapshot_date
)

select * from final
