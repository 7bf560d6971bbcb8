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
-- latest, and each friend's last one before that span (an older one is never the most recent
-- before any request): their row at the last snapshot date before the span when it has a
-- published score, else (an unscorable friend) their last one before it. So the reads stay
-- within the span and one date, plus the older rows of those few friends only.
span_start as (
    select
        first_request.snapshot_date,
        (
            select max(snapshot_dates.snapshot_date)
            from snapshot_dates
            where snapshot_dates.snapshot_date < first_request.snapshot_date
        ) as date_before
    from first_request
),

in_span as (
    select
        user_id,
        snapshot_date,
        published_score
    from score_snapshots
    where
        published_score is not null
        and snapshot_date >= (select span_start.snapshot_date from span_start)
        and snapshot_date < cast($snapshot_date as date)
),

friends as (
    select distinct friend_id from open_friends
),

at_date_before as (
    select
        score_snapshots.user_id,
        score_snapshots.snapshot_date,
        score_snapshots.published_score
    from score_snapshots
    semi join friends
        on score_snapshots.user_id = friends.friend_id
    where
        score_snapshots.published_score is not null
        and score_snapshots.snapshot_date = (select span_start.date_before from span_start)
),

without_one as (
    select friends.friend_id
    from friends
    anti join at_date_before
        on friends.friend_id = at_date_before.user_id
),

older as (
    select
        score_snapshots.user_id,
        max(score_snapshots.snapshot_date) as snapshot_date,
        arg_max(score_snapshots.published_score, score_snapshots.snapshot_date)
            as published_score
    from score_snapshots
    semi join without_one
        on score_snapshots.user_id = without_one.friend_id
    where
        score_snapshots.published_score is not null
        and score_snapshots.snapshot_date < (select span_start.date_before from span_start)
    group by score_snapshots.user_id
),

published as (
    select * from in_span
    union all
    select * from at_date_before
    union all
    select * from older
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
