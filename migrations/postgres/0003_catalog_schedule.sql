-- Scheduling settings of a tenant.
alter table tenants add column slot_interval_minutes bigint not null default 15;
alter table tenants add column min_notice_minutes bigint not null default 60;
alter table tenants add column max_advance_days bigint not null default 90;
alter table tenants add column hold_minutes bigint not null default 10;
alter table tenants add column cancel_cutoff_hours bigint not null default 24;

create table services (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    code text not null,
    name text not null,
    description text not null default '',
    duration_minutes bigint not null,
    buffer_before_minutes bigint not null default 0,
    buffer_after_minutes bigint not null default 0,
    price_minor bigint not null default 0,
    currency text not null,
    mode text not null,
    active bigint not null default 1,
    display_order bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null,
    unique (tenant_id, code)
);

-- Default duration per service code (used when a service is created without one).
create table service_defaults (
    tenant_id bigint not null references tenants (id) on delete cascade,
    code text not null,
    duration_minutes bigint not null,
    notes text not null default '',
    primary key (tenant_id, code)
);

create table staff_members (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    name text not null,
    email text not null default '',
    phone text not null default '',
    bio text not null default '',
    user_id bigint references users (id) on delete set null,
    active bigint not null default 1,
    display_order bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null
);
create index staff_members_tenant on staff_members (tenant_id, display_order);

create table staff_services (
    staff_id bigint not null references staff_members (id) on delete cascade,
    service_id bigint not null references services (id) on delete cascade,
    primary key (staff_id, service_id)
);

-- Weekly opening hours of a staff member, or of the owner/business when staff_id is null.
-- ISO weekday (Monday = 1); local minutes since midnight.
create table weekly_hours (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    staff_id bigint references staff_members (id) on delete cascade,
    weekday bigint not null,
    start_minute bigint not null,
    end_minute bigint not null
);
create index weekly_hours_tenant on weekly_hours (tenant_id, staff_id);

create table time_off (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    staff_id bigint references staff_members (id) on delete cascade,
    starts_at bigint not null,
    ends_at bigint not null,
    reason text not null default '',
    created_at bigint not null
);
create index time_off_tenant on time_off (tenant_id, staff_id, starts_at);

-- Labelled time ranges on a local date, with per-service capacity.
create table timetable_blocks (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    local_date text not null,
    start_minute bigint not null,
    end_minute bigint not null,
    label text not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index timetable_blocks_date on timetable_blocks (tenant_id, local_date);

create table block_capacities (
    block_id bigint not null references timetable_blocks (id) on delete cascade,
    service_id bigint not null references services (id) on delete cascade,
    capacity bigint not null,
    allow_overlap bigint not null default 0,
    primary key (block_id, service_id)
);

-- Bookings. busy_from/busy_until are starts_at/ends_at widened by the service's buffers:
-- the time the staff member (or owner) is occupied.
create table bookings (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    service_id bigint not null references services (id),
    staff_id bigint references staff_members (id),
    block_id bigint references timetable_blocks (id),
    client_id bigint references clients (id),
    guest_name text not null default '',
    guest_email text not null default '',
    guest_phone text not null default '',
    starts_at bigint not null,
    ends_at bigint not null,
    busy_from bigint not null,
    busy_until bigint not null,
    status text not null,
    notes text not null default '',
    price_minor bigint not null default 0,
    currency text not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index bookings_tenant_time on bookings (tenant_id, busy_from);
create index bookings_block on bookings (block_id, service_id);

-- Short-lived reservations taken when a checkout starts.
create table holds (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    token_hash text not null unique,
    service_id bigint not null references services (id),
    staff_id bigint references staff_members (id),
    block_id bigint references timetable_blocks (id),
    starts_at bigint not null,
    ends_at bigint not null,
    busy_from bigint not null,
    busy_until bigint not null,
    expires_at bigint not null,
    consumed_at bigint,
    created_at bigint not null
);
create index holds_tenant_time on holds (tenant_id, expires_at);
