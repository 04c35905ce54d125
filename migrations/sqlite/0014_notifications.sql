-- Notifications: the tenant's reminder setting, what each client and team member wants to
-- hear, the reminder ledger, and private calendar feeds. Booleans are 0/1 integers.

-- Reminders are due at start minus this many minutes; null turns them off.
alter table tenants add column reminder_minutes_before bigint default 1440;
-- Stored now, used once SMS exists (PRO only).
alter table tenants add column sms_enabled bigint not null default 0;

-- A client's choices; no row means the defaults (every email on, every SMS off).
create table client_notification_prefs (
    tenant_id bigint not null references tenants (id) on delete cascade,
    client_id bigint not null,
    email_changes bigint not null default 1,
    email_reminders bigint not null default 1,
    email_invoices bigint not null default 1,
    sms_changes bigint not null default 0,
    sms_reminders bigint not null default 0,
    sms_invoices bigint not null default 0,
    updated_at bigint not null,
    primary key (tenant_id, client_id),
    foreign key (tenant_id, client_id) references clients (tenant_id, id) on delete cascade
);

-- A team member's choices about the booking notices they get as owner or staff member.
create table member_notification_prefs (
    tenant_id bigint not null references tenants (id) on delete cascade,
    user_id bigint not null,
    email_changes bigint not null default 1,
    updated_at bigint not null,
    primary key (tenant_id, user_id),
    foreign key (tenant_id, user_id) references memberships (tenant_id, user_id) on delete cascade
);

-- One row per reminder, claimed (queued) once per booking and start: a rescheduled booking has
-- a new start and so a new reminder. `sent_at` is set once the message went out, so a retried
-- send job sends nothing twice.
create table reminder_deliveries (
    tenant_id bigint not null references tenants (id) on delete cascade,
    booking_id bigint not null,
    starts_at bigint not null,
    queued_at bigint not null,
    sent_at bigint,
    primary key (tenant_id, booking_id, starts_at),
    foreign key (tenant_id, booking_id) references bookings (tenant_id, id) on delete cascade
);
-- The reminder scan reads confirmed bookings by start.
create index bookings_status_start on bookings (status, starts_at);

-- A private calendar feed of a team member's or a client's bookings. Only the token's hash is
-- stored; regenerating replaces the row, which revokes the old URL.
create table calendar_feeds (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    user_id bigint,
    client_id bigint,
    token_hash text not null unique,
    created_at bigint not null,
    unique (tenant_id, id),
    unique (tenant_id, user_id),
    unique (tenant_id, client_id),
    check ((user_id is null) <> (client_id is null)),
    foreign key (tenant_id, user_id) references memberships (tenant_id, user_id) on delete cascade,
    foreign key (tenant_id, client_id) references clients (tenant_id, id) on delete cascade
);
