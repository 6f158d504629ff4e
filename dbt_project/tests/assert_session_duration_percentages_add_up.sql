-- Every day's five duration buckets add up to 100 % of its sessions (the run's dates; all without a window).
select
    session_date,
    sum(percentage) as total_percentage
from {{ ref('session_duration_distribution') }}
where {{ in_partition_window('session_date', lookback_days=var('session_lookback_days')) }}
group by 1
having abs(sum(percentage) - 100) > 0.000001
