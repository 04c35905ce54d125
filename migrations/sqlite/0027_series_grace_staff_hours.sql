-- A client may cancel a series occurrence booked within this many minutes despite the
-- cut-off (a grace period after booking); and whether staff logins may edit their own
-- weekly hours and time off.
alter table tenants add column series_cancel_grace_minutes bigint not null default 15;
alter table tenants add column staff_edit_own_hours bigint not null default 0;
