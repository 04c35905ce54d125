-- SMS (PRO): the business's sender number (its Twilio Account SID and auth token are sealed in
-- tenant_secrets), and which channel of a reminder went out, so a retried reminder job sends
-- neither the email nor the text twice.
alter table tenants add column sms_from text not null default '';
alter table reminder_deliveries add column email_sent_at bigint;
alter table reminder_deliveries add column sms_sent_at bigint;

-- A client's favourite services and staff members, listed first when they book.
create table client_favourites (
    tenant_id bigint not null references tenants (id) on delete cascade,
    client_id bigint not null,
    -- `service` or `staff`
    kind text not null,
    item_id bigint not null,
    created_at bigint not null,
    primary key (tenant_id, client_id, kind, item_id),
    foreign key (tenant_id, client_id) references clients (tenant_id, id) on delete cascade
);

-- The business's FAQ on its help page, in the owner's order.
create table faq_entries (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    position bigint not null,
    question text not null,
    answer text not null,
    created_at bigint not null
);
create index faq_entries_tenant on faq_entries (tenant_id, position);
