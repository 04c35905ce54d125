-- Google Calendar: whether events carry the client's contact details (the owner opts in on the
-- calendar page; off by default), and until when a connection makes no calls to Google because
-- Google answered 429/503 with Retry-After (epoch seconds).
alter table tenants add column calendar_contact_details bigint not null default 0;
alter table calendar_connections add column hold_until bigint;
