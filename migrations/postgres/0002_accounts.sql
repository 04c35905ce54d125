-- Accounts and tenancy. Instants are epoch seconds; booleans are 0/1 integers on both backends.
create table users (
    id bigint generated always as identity primary key,
    email text not null unique,
    name text not null,
    password_hash text,
    email_verified_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);

create table tenants (
    id bigint generated always as identity primary key,
    slug text not null unique,
    name text not null,
    timezone text not null,
    currency text not null,
    plan text not null default 'free',
    pro_until bigint,
    portal_enabled bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);

create table memberships (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    user_id bigint not null references users (id) on delete cascade,
    role text not null,
    created_at bigint not null,
    unique (tenant_id, user_id)
);
create index memberships_user on memberships (user_id);

create table clients (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    user_id bigint references users (id) on delete set null,
    name text not null,
    email text not null,
    phone text not null default '',
    address text not null default '',
    notes text not null default '',
    portal_login_disabled bigint not null default 0,
    can_self_reschedule bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null,
    unique (tenant_id, user_id)
);
create index clients_tenant_email on clients (tenant_id, email);
create index clients_user on clients (user_id);

create table sessions (
    id text primary key,
    user_id bigint,
    data text not null,
    expires_at bigint not null
);
create index sessions_user on sessions (user_id);
create index sessions_expiry on sessions (expires_at);

-- Single-use links: password reset, email verification, invitations. Only hashes are stored.
create table auth_tokens (
    id bigint generated always as identity primary key,
    token_hash text not null unique,
    purpose text not null,
    email text not null,
    user_id bigint references users (id) on delete cascade,
    tenant_id bigint references tenants (id) on delete cascade,
    client_id bigint references clients (id) on delete cascade,
    role text,
    expires_at bigint not null,
    used_at bigint,
    created_at bigint not null
);

create table api_tokens (
    id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (id) on delete cascade,
    name text not null,
    token_hash text not null unique,
    created_at bigint not null,
    last_used_at bigint,
    revoked_at bigint
);
create index api_tokens_tenant on api_tokens (tenant_id);

create table audit_log (
    id bigint generated always as identity primary key,
    tenant_id bigint references tenants (id) on delete cascade,
    actor_user_id bigint references users (id) on delete set null,
    action text not null,
    detail text not null default '',
    ip text not null default '',
    created_at bigint not null
);
create index audit_log_tenant on audit_log (tenant_id, id);

-- Fixed-window counters shared by every web process.
create table rate_limits (
    key text primary key,
    window_start bigint not null,
    hits bigint not null
);
