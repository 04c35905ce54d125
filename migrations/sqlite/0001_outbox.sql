-- Jobs waiting to be handed to the queue (see crates/store/src/outbox.rs).
create table outbox (
    id integer primary key autoincrement,
    queue text not null,
    payload text not null,
    created_at bigint not null,
    lease_owner text,
    lease_until bigint not null default 0
);
create index outbox_lease on outbox (lease_until, id);

-- Deliveries of the ping job.
create table pings (
    token text primary key,
    received_at bigint not null,
    deliveries bigint not null default 1
);
