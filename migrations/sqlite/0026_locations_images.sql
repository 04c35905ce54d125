-- Where a service takes place: `business` (the tenant's address), `client` (the client's
-- address, entered when booking) or `online` (a meeting link per booking). `meeting_url` is
-- the owner's own meeting room for an online service; empty = a new room per booking.
alter table services add column location_kind text not null default 'business';
alter table services add column meeting_url text not null default '';
-- The place as booked: the kind at booking time, and the client's address (kind `client`)
-- or the meeting link (kind `online`); empty for `business` (the tenant's address is shown).
alter table bookings add column location_kind text not null default 'business';
alter table bookings add column location text not null default '';

-- Uploaded pictures, re-encoded, served by every web process: the business's logo
-- (kind `logo`, item 0) and staff photos (kind `staff`, item = staff member id).
create table tenant_images (
    tenant_id bigint not null references tenants (id) on delete cascade,
    kind text not null,
    item_id bigint not null,
    content_type text not null,
    data blob not null,
    updated_at bigint not null,
    primary key (tenant_id, kind, item_id)
);
-- When the logo / the staff member's photo was stored (0 = none): links carry it as `?v=`.
alter table tenants add column logo_version bigint not null default 0;
alter table staff_members add column photo_version bigint not null default 0;
