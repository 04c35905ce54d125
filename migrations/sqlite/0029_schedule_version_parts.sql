-- A tenant's schedule version becomes the sum of a few parts, so that bookings of different
-- people do not queue on one row (see the PostgreSQL migration of the same number; on SQLite
-- the single writer serializes writes anyway, the table has the same shape so the code is one).
-- SQLite cannot change a primary key in place, so the table is rebuilt.
create table schedule_version_parts (
    tenant_id bigint not null references tenants (id) on delete cascade,
    part bigint not null,
    version bigint not null,
    primary key (tenant_id, part)
);
insert into schedule_version_parts (tenant_id, part, version)
    select tenant_id, 0, version from schedule_versions;
drop table schedule_versions;
alter table schedule_version_parts rename to schedule_versions;
