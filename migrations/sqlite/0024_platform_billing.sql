-- Self-serve PRO and refunds made in a gateway's dashboard.
--
-- platform_subscriptions: each business's PRO subscription on the platform's own Stripe
-- account (the customer for the billing portal, the subscription and its last known status;
-- a canceled subscription extends nothing any more). pro_until itself stays on tenants.
-- platform_events: the platform webhook's events by Stripe's event id (a replay is a no-op;
-- not tenant-scoped: the event names its business only inside).
-- unapplied_refunds: a refund made at the gateway that Portico could not apply (a payment it
-- does not know, or more than what remains), kept by refund id and shown to the owner.

create table platform_subscriptions (
    tenant_id bigint primary key references tenants (id) on delete cascade,
    customer_id text not null default '',
    subscription_id text not null default '',
    status text not null default '',
    period_end bigint,
    updated_at bigint not null
);
create index platform_subscriptions_customer on platform_subscriptions (customer_id);
create index platform_subscriptions_subscription on platform_subscriptions (subscription_id);

create table platform_events (
    event_id text primary key,
    event_type text not null,
    created_at bigint not null
);

create table unapplied_refunds (
    id integer primary key autoincrement,
    tenant_id bigint not null references tenants (id) on delete cascade,
    gateway text not null,
    refund_id text not null,
    payment_intent text not null,
    amount_minor bigint not null,
    currency text not null,
    reason text not null,
    created_at bigint not null,
    unique (tenant_id, id),
    unique (tenant_id, refund_id)
);
