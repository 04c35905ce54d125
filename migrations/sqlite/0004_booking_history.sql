-- Every change to a booking: who, when, from → to.
create table booking_events (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    booking_id bigint not null references bookings (id) on delete cascade,
    action text not null,
    actor_kind text not null,
    actor_user_id bigint references users (id) on delete set null,
    from_starts_at bigint,
    to_starts_at bigint,
    from_staff_id bigint,
    to_staff_id bigint,
    detail text not null default '',
    created_at bigint not null
);
create index booking_events_booking on booking_events (booking_id, id);

-- Guests manage their booking through emailed links; only hashes are stored.
create table booking_links (
    id integer primary key autoincrement,
    booking_id bigint not null references bookings (id) on delete cascade,
    token_hash text not null unique,
    expires_at bigint not null,
    created_at bigint not null
);
