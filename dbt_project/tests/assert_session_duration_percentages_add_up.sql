-- Every day's five duration buckets add up to 100 % of its sessions.
select
    session_date,
    sum(percentage) as total_percentage
from {{ ref('session_duration_distribution') }}
group by 1
having abs(sum(percentage) - 100) > 0.000001
