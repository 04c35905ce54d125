-- Secrets a tenant hands to Portico (Stripe keys, Google tokens), sealed with
-- XChaCha20-Poly1305: `sealed` is nonce || ciphertext, `key_id` names the key that sealed it.
-- `subject` tells apart several secrets of one kind (e.g. one Google token per person; 0 for
-- a tenant-wide secret). Plain values never reach this table.
create table tenant_secrets (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    kind text not null,
    subject bigint not null,
    key_id bigint not null,
    sealed blob not null,
    created_at bigint not null,
    updated_at bigint not null,
    unique (tenant_id, kind, subject)
);
create unique index tenant_secrets_tenant_id on tenant_secrets (tenant_id, id);
-- Rotation looks for values sealed under a key other than the current one.
create index tenant_secrets_key_id on tenant_secrets (key_id);
