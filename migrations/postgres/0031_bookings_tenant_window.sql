-- The provider's window of bookings (`ends_at > from and starts_at < to`, migration 0030) read
-- every booking from the window's start to the booking horizon and fetched each row to test
-- `starts_at`. With `starts_at` in the index, the rows after the window are skipped in the
-- index itself and only the window's bookings are fetched.
drop index bookings_tenant_until;
create index bookings_tenant_window on bookings (tenant_id, ends_at, starts_at);
