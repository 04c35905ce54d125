-- History never slows anything: a person's busy time and a block's counts are read through
-- indexes that start at the person or block and skip everything that ended before the window.
-- A person's bookings/holds by end: past bookings (busy_until <= window start) are never read.
-- `staff_id is null` (the owner) is indexable on both backends.
create index bookings_person_until on bookings (tenant_id, staff_id, busy_until);
create index holds_person_until on holds (tenant_id, staff_id, busy_until);
-- A block's counts per service and status, answered from the index alone.
create index bookings_block_status on bookings (block_id, service_id, status);
drop index bookings_block;
create index holds_block on holds (block_id, service_id, expires_at);
