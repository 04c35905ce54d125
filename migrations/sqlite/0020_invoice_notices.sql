-- "Your invoice" emails: one row per issued invoice, claimed (queued) in the issue transaction;
-- `sent_at` is set once the message went out or was settled without sending (void since,
-- the client opted out), so a retried send job sends nothing twice.
create table invoice_notices (
    tenant_id bigint not null references tenants (id) on delete cascade,
    invoice_id bigint not null,
    queued_at bigint not null,
    sent_at bigint,
    primary key (tenant_id, invoice_id),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id) on delete cascade
);
