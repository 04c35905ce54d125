-- SMS (PRO): the business's sender number (its Twilio Account SID and auth token are sealed in
-- tenant_secrets), and which channel of a reminder went out, so a retried reminder job sends
-- neither the email nor the text twice.
alter table tenants add column sms_from text not null default '';
alter table reminder_deliveries add column email_sent_at bigint;
alter table reminder_deliveries add column sms_sent_at bigint;

