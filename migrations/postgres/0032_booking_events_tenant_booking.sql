-- A booking's events (its history page, the calendar's SEQUENCE and version, the reminder
-- check) are read by `tenant_id = ? and booking_id = ?`. SQLite chose the unique
-- `(tenant_id, id)` index for that and read every event of the tenant for each one — per
-- notification, and per booking in the reminder and calendar sweeps — so the cost grew with
-- the business's history. This index bounds them to the booking's own events on both backends.
create index booking_events_tenant_booking on booking_events (tenant_id, booking_id, id);
