-- The provider's calendar and the API's booking list read a window of the tenant's bookings
-- (`ends_at > from and starts_at < to`). Without this index they read every booking the tenant
-- ever had (measured: 145 ms with 1,000,000 in its history, on SQLite); with it, only those
-- ending after the window starts: the window and the future, never the past.
create index bookings_tenant_until on bookings (tenant_id, ends_at);
