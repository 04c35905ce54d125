-- A tenant's schedule version becomes the sum of a few parts, so that bookings of different
-- people do not queue on one row. A write bumps one part as the last statement before its
-- COMMIT and holds that row's lock through the commit's flush: with one row per tenant, every
-- booking of the tenant committed one at a time. Bookings and holds bump the part of the person
-- or block they land on (1-16, by id), which they already hold locked; everything else bumps
-- part 0. Readers compare the sum, which only grows, so no change can go unseen.
alter table schedule_versions add column part bigint not null default 0;
alter table schedule_versions drop constraint schedule_versions_pkey;
alter table schedule_versions add primary key (tenant_id, part);
