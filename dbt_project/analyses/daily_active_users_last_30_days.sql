-- The specification's "Daily Active Users" query: its 30-day window over the mart
-- daily_active_users (growth_pct is a float, NULL after a day without users).
select
    date,
    daily_active_users,
    prev_day_users,
    growth_pct
from {{ ref('daily_active_users') }}
where {{ in_report_window('date', 30) }}
order by date
