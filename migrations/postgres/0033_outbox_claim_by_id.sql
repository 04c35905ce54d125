-- The relay claims outbox rows in `id` order through the primary key (crates/store/src/outbox.rs,
-- `claim`); this index served the old claim only. Without it, leasing a row changes no indexed
-- column, and with room left on each page (fillfactor) the lease is a HOT update: a new row
-- version on the same page and no new index entries, for a row that is deleted seconds later.
drop index outbox_lease;
alter table outbox set (fillfactor = 50);
