-- Exactly one of a visitor's user_ids is its current one (users' and users_incremental's user).
with visitors as (

    select
        visitor_key,
        count(case when is_current_user then 1 end) as current_users
    from {{ ref('user_map') }}
    group by 1

)

select *
from visitors
where current_users <> 1
