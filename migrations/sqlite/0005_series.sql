-- Recurring series: a rule (RRULE subset) at a local time, materialized into bookings over a
-- rolling horizon. Occurrences are ordinary bookings with series_id set.
create table series (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    client_id bigint not null references clients (id),
    service_id bigint not null references services (id),
    staff_id bigint references staff_members (id),
    rrule text not null,
    starts_on text not null,
    local_start_minute bigint not null,
    -- Dates from this one on are not booked any more ('' = not cancelled).
    cancelled_from text not null default '',
    -- Every date up to this one has been materialized ('' = none yet).
    materialized_until text not null default '',
    created_at bigint not null,
    updated_at bigint not null
);
create index series_tenant on series (tenant_id, client_id);

-- Occurrences that could not be booked (the place was taken, no block that day).
create table series_skips (
    id integer primary key autoincrement,
    series_id bigint not null references series (id) on delete cascade,
    local_date text not null,
    reason text not null,
    created_at bigint not null,
    unique (series_id, local_date)
);

alter table bookings add column series_id bigint references series (id);
create index bookings_series on bookings (series_id, starts_at);
