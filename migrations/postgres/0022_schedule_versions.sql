-- Availability is served from memory per tenant and invalidated by this version: every write
-- that changes what can be booked (bookings, holds, hours, time off, blocks, services, staff,
-- booking rules, calendar busy times) bumps it in its own transaction, as its first statement,
-- so a reader compares one indexed number before trusting its cached copy. No row = version 0.
create table schedule_versions (
    tenant_id bigint primary key references tenants (id) on delete cascade,
    version bigint not null
);
