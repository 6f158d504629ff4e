-- No session ends before it starts (the specification's singular test).
select
    session_id,
    session_duration
from {{ ref('sessions') }}
where session_duration < 0
