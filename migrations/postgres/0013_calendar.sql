-- Google Calendar sync (PRO): one connection per person (a login) and tenant. Tokens are not
-- here: they are sealed in tenant_secrets with the connection's id as their subject.
create table calendar_connections (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    user_id bigint not null references users (id) on delete cascade,
    -- 'connected' or 'disconnected' (revoked at Google, or disconnected by the person).
    status text not null,
    google_account text not null default '',
    calendar_id text not null default 'primary',
    sync_enabled bigint not null default 1,
    -- When the sealed access token stops working (epoch seconds); 0 = none cached.
    access_expires_at bigint not null default 0,
    last_synced_at bigint,
    last_error text,
    -- The person has been told (once) that Google disconnected them.
    disconnect_notified_at bigint,
    backfill_total bigint not null default 0,
    backfill_done bigint not null default 0,
    busy_refreshed_at bigint,
    reconciled_at bigint,
    -- The person's calendars as last listed: a JSON array of {"id","summary"}, to choose from.
    calendars text not null default '[]',
    created_at bigint not null,
    updated_at bigint not null,
    unique (tenant_id, id),
    unique (tenant_id, user_id)
);

-- What Portico last wrote to Google for a booking in a connection's calendar: the event id is
-- derived from the booking, `version` is the booking's latest event row when it was synced, so
-- a duplicate or stale job finds nothing to do.
create table calendar_event_syncs (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    booking_id bigint not null,
    connection_id bigint not null,
    calendar_id text not null,
    event_id text not null,
    etag text not null default '',
    -- 'present' or 'deleted'.
    state text not null,
    version bigint not null,
    starts_at bigint not null,
    ends_at bigint not null,
    updated_at bigint not null,
    unique (tenant_id, id),
    unique (tenant_id, booking_id, connection_id),
    foreign key (tenant_id, booking_id) references bookings (tenant_id, id) on delete cascade,
    foreign key (tenant_id, connection_id) references calendar_connections (tenant_id, id)
        on delete cascade
);
create index calendar_event_syncs_connection on calendar_event_syncs (tenant_id, connection_id);

-- Busy times fetched from a connection's calendar (freeBusy), minus Portico's own events.
create table calendar_busy (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    connection_id bigint not null,
    starts_at bigint not null,
    ends_at bigint not null,
    unique (tenant_id, id),
    foreign key (tenant_id, connection_id) references calendar_connections (tenant_id, id)
        on delete cascade
);
create index calendar_busy_connection on calendar_busy (tenant_id, connection_id, ends_at);
