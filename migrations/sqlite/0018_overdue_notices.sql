-- Overdue-invoice notices: one row per invoice and stage (0 when it falls overdue, then one
-- per configured interval), claimed (queued) once; `sent_at` is set once the message went out
-- or was settled without sending, so a retried send job sends nothing twice.
create table overdue_notices (
    tenant_id bigint not null references tenants (id) on delete cascade,
    invoice_id bigint not null,
    stage bigint not null,
    queued_at bigint not null,
    sent_at bigint,
    primary key (tenant_id, invoice_id, stage),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id) on delete cascade
);
