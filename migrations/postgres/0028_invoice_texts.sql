-- "Your invoice" by text (PRO): the email and the text of one notice are recorded apart, so a
-- job retried after the text failed does not email again. `sent_at` still settles the notice.
alter table invoice_notices add column email_sent_at bigint;
