-- Pre-paid bookings: a service may require payment to book ("prepay"); a checkout may then be
-- for a hold instead of an invoice. Such a checkout keeps what the booking needs
-- (booking_request: the service, the held slot, the hold's token, the party and notes, as
-- JSON) and, once fulfilled, the booking it made (booking_id). A payment that came too late
-- for a place already taken is refunded at the gateway: status 'refunded'.

alter table services add column prepay bigint not null default 0;

alter table online_checkouts alter column invoice_id drop not null;
alter table online_checkouts add column booking_request text;
alter table online_checkouts add column booking_id bigint references bookings (id);
alter table online_checkouts add constraint online_checkouts_one_purpose
    check ((invoice_id is null) <> (booking_request is null));
create index online_checkouts_booking on online_checkouts (tenant_id, booking_id);
