-- No session ends before it starts (the specification's singular test), among the sessions
-- started in the run's days and their look-back (all without a window).
select
    session_id,
    session_duration
from {{ ref('sessions') }}
where
    session_duration < 0
    and {{ in_partition_window('session_date', lookback_days=var('session_lookback_days')) }}
