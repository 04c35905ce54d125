-- Child rows name their parent together with its tenant, so an invoice cannot name another
-- tenant's client and a line cannot name another tenant's booking.
create unique index clients_tenant_id on clients (tenant_id, id);
create unique index bookings_tenant_id on bookings (tenant_id, id);

-- Invoices. The number is assigned when the invoice is issued (gapless per tenant, see
-- invoice_counters); overdue and partially paid are derived, never stored.
create table invoices (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    client_id bigint not null,
    number text,
    status text not null,
    currency text not null,
    due_date text not null,
    notes text not null default '',
    issued_at bigint,
    voided_at bigint,
    void_reason text,
    created_at bigint not null,
    updated_at bigint not null,
    unique (tenant_id, id),
    unique (tenant_id, number),
    foreign key (tenant_id, client_id) references clients (tenant_id, id)
);
create index invoices_tenant_client on invoices (tenant_id, client_id);
create index invoices_tenant_status on invoices (tenant_id, status, due_date);

create table invoice_lines (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    invoice_id bigint not null,
    position bigint not null,
    description text not null,
    quantity bigint not null,
    unit_price_minor bigint not null,
    tax_rate_bp bigint,
    booking_id bigint,
    unique (tenant_id, id),
    unique (invoice_id, position),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id) on delete cascade,
    foreign key (tenant_id, booking_id) references bookings (tenant_id, id)
);
create index invoice_lines_booking on invoice_lines (tenant_id, booking_id);

-- The next number to issue, per tenant. Issuing takes this row with
-- `update … set next_number = next_number + 1 … returning` in the issuing transaction, so
-- concurrent issuers wait for each other and a rolled-back issue gives its number back.
create table invoice_counters (
    tenant_id bigint primary key references tenants (id) on delete cascade,
    prefix text not null default 'INV-',
    next_number bigint not null default 1
);
