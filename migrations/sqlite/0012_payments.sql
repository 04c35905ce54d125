-- Billing money flows: client credit, payments and where they went, installment plans, the
-- tenant's billing settings and the record of each booking billed. Amounts are minor units.

-- How a tenant bills bookings (no row: the defaults). The invoice prefix lives in
-- invoice_counters.prefix, next to the number it prefixes.
create table billing_settings (
    tenant_id bigint primary key references tenants (id) on delete cascade,
    bill_when text not null default 'none',
    payment_terms_days bigint not null default 14,
    cancel_paid text not null default 'credit',
    updated_at bigint not null
);

-- Money received from a client (recorded by the provider, or declared by the client as a bank
-- transfer and pending until the owner confirms or rejects it). Never deleted: a refund adds
-- a payment_refunds row and raises refunded_minor.
create table payments (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    client_id bigint not null,
    invoice_id bigint,
    amount_minor bigint not null check (amount_minor > 0),
    currency text not null,
    method text not null,
    received_on text not null,
    reference text not null default '',
    status text not null,
    refunded_minor bigint not null default 0 check (refunded_minor >= 0 and refunded_minor <= amount_minor),
    decision_reason text not null default '',
    created_at bigint not null,
    updated_at bigint not null,
    unique (tenant_id, id),
    foreign key (tenant_id, client_id) references clients (tenant_id, id),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id)
);
create index payments_tenant_client on payments (tenant_id, client_id);

-- The part of a payment applied to an invoice; a refund or a cancellation that takes money
-- back off the invoice adds a negative row. An invoice's paid amount is the sum of its rows.
create table payment_allocations (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    payment_id bigint not null,
    invoice_id bigint not null,
    amount_minor bigint not null check (amount_minor <> 0),
    kind text not null,
    created_at bigint not null,
    unique (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id)
);
create index payment_allocations_invoice on payment_allocations (tenant_id, invoice_id);
create index payment_allocations_payment on payment_allocations (tenant_id, payment_id);

create table payment_refunds (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    payment_id bigint not null,
    amount_minor bigint not null check (amount_minor > 0),
    reason text not null,
    created_at bigint not null,
    unique (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id)
);

-- A client's credit ledger: + grants, overpayments, cancellations; − uses, refunds. The
-- balance (the sum) never goes negative: every write takes the client row's lock first and
-- checks the balance in the same transaction. Every entry names its cause.
create table credit_entries (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    client_id bigint not null,
    amount_minor bigint not null check (amount_minor <> 0),
    currency text not null,
    kind text not null,
    payment_id bigint,
    invoice_id bigint,
    booking_id bigint,
    reason text not null default '',
    created_at bigint not null,
    unique (tenant_id, id),
    foreign key (tenant_id, client_id) references clients (tenant_id, id),
    foreign key (tenant_id, payment_id) references payments (tenant_id, id),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id),
    foreign key (tenant_id, booking_id) references bookings (tenant_id, id)
);
create index credit_entries_client on credit_entries (tenant_id, client_id);

-- An invoice's installment plan: the balance when the plan was made (total − paid_before)
-- split into parts; payments made since settle the parts oldest first.
create table installments (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    invoice_id bigint not null,
    position bigint not null,
    due_date text not null,
    amount_minor bigint not null check (amount_minor > 0),
    paid_before_minor bigint not null,
    created_at bigint not null,
    unique (tenant_id, id),
    unique (invoice_id, position),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id) on delete cascade
);

-- Each booking billed, once (the unique key): how much credit paid and which invoice holds
-- the rest. Cancelling the booking reads it to give the credit back or void the invoice.
create table booking_charges (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    booking_id bigint not null,
    client_id bigint not null,
    amount_minor bigint not null,
    credit_minor bigint not null,
    invoice_id bigint,
    cancelled_at bigint,
    created_at bigint not null,
    unique (tenant_id, id),
    unique (tenant_id, booking_id),
    foreign key (tenant_id, booking_id) references bookings (tenant_id, id),
    foreign key (tenant_id, client_id) references clients (tenant_id, id),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id)
);
