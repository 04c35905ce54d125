-- Child rows name their parent together with its tenant, so they cannot point across tenants.
create unique index booking_events_tenant_id on booking_events (tenant_id, id);

-- One line per message sent for a booking event, written right after the message went out:
-- a retried notice job skips every recipient it already reached.
create table notice_deliveries (
    tenant_id bigint not null references tenants (id) on delete cascade,
    event_id bigint not null,
    channel text not null,
    recipient text not null,
    sent_at bigint not null,
    primary key (tenant_id, event_id, channel, recipient),
    foreign key (tenant_id, event_id) references booking_events (tenant_id, id) on delete cascade
);
