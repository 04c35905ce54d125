-- Online payments: the gateway each business takes them through, the checkouts started
-- (one per gateway session, fulfilled at most once), the webhook events received (by the
-- gateway's event id, so a replay is a no-op) and the refunds made at the gateway (by the
-- gateway's refund id, so each is reflected once). The business's Stripe keys are sealed in
-- tenant_secrets.

-- No row: offline (no online payment).
create table payment_gateways (
    tenant_id bigint primary key references tenants (id) on delete cascade,
    gateway text not null,
    updated_at bigint not null
);

-- A checkout session started for an invoice: what Portico asked for, and what happened.
-- status: open, paid (payment_id set), expired, mismatch (paid_* differ from what was asked).
create table online_checkouts (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    gateway text not null,
    session_id text not null,
    idempotency_key text not null,
    invoice_id bigint not null,
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
    unique (tenant_id, id),
    unique (gateway, session_id),
    unique (tenant_id, payment_id),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id),
    foreign key (tenant_id, client_id) references clients (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id)
);
create index online_checkouts_invoice on online_checkouts (tenant_id, invoice_id);

create table gateway_events (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    gateway text not null,
    event_id text not null,
    event_type text not null,
    created_at bigint not null,
    unique (tenant_id, id),
    unique (tenant_id, gateway, event_id)
);

create table gateway_refunds (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    checkout_id bigint not null,
    refund_id text not null,
    amount_minor bigint not null check (amount_minor > 0),
    created_at bigint not null,
    unique (tenant_id, id),
    unique (tenant_id, refund_id),
    foreign key (tenant_id, checkout_id) references online_checkouts (tenant_id, id)
);
