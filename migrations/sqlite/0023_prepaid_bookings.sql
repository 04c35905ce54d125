-- Pre-paid bookings: a service may require payment to book ("prepay"); a checkout may then be
-- for a hold instead of an invoice. Such a checkout keeps what the booking needs
-- (booking_request: the service, the held slot, the hold's token, the party and notes, as
-- JSON) and, once fulfilled, the booking it made (booking_id). A payment that came too late
-- for a place already taken is refunded at the gateway: status 'refunded'.
--
-- SQLite cannot drop a NOT NULL, so online_checkouts is rebuilt, and with it its only child,
-- gateway_refunds (made to point at the new table, so that neither drop leaves a row without
-- its parent; renaming the new checkouts table renames the reference too).

alter table services add column prepay bigint not null default 0;

create table online_checkouts_v23 (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    gateway text not null,
    session_id text not null,
    idempotency_key text not null,
    invoice_id bigint,
    client_id bigint not null,
    amount_minor bigint not null check (amount_minor > 0),
    currency text not null,
    url text not null,
    status text not null,
    payment_intent text not null default '',
    payment_id bigint,
    paid_minor bigint,
    paid_currency text not null default '',
    created_at bigint not null,
    updated_at bigint not null,
    booking_request text,
    booking_id bigint references bookings (id),
    unique (tenant_id, id),
    unique (gateway, session_id),
    unique (tenant_id, payment_id),
    check ((invoice_id is null) <> (booking_request is null)),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id),
    foreign key (tenant_id, client_id) references clients (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id)
);

insert into online_checkouts_v23 (id, tenant_id, gateway, session_id, idempotency_key,
    invoice_id, client_id, amount_minor, currency, url, status, payment_intent, payment_id,
    paid_minor, paid_currency, created_at, updated_at)
select id, tenant_id, gateway, session_id, idempotency_key, invoice_id, client_id,
    amount_minor, currency, url, status, payment_intent, payment_id, paid_minor, paid_currency,
    created_at, updated_at
from online_checkouts;

create table gateway_refunds_v23 (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    checkout_id bigint not null,
    refund_id text not null,
    amount_minor bigint not null check (amount_minor > 0),
    created_at bigint not null,
    unique (tenant_id, id),
    unique (tenant_id, refund_id),
    foreign key (tenant_id, checkout_id) references online_checkouts_v23 (tenant_id, id)
);

insert into gateway_refunds_v23 (id, tenant_id, checkout_id, refund_id, amount_minor, created_at)
select id, tenant_id, checkout_id, refund_id, amount_minor, created_at from gateway_refunds;

drop table gateway_refunds;
drop table online_checkouts;
alter table online_checkouts_v23 rename to online_checkouts;
alter table gateway_refunds_v23 rename to gateway_refunds;
create index online_checkouts_invoice on online_checkouts (tenant_id, invoice_id);
create index online_checkouts_booking on online_checkouts (tenant_id, booking_id);
