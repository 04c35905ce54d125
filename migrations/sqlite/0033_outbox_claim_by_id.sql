-- The relay claims outbox rows in `id` order through the primary key (crates/store/src/outbox.rs,
-- `claim`); this index served the old claim only. Without it, leasing a row changes no indexed
-- column, so on PostgreSQL the lease is a HOT update that adds no index entries.
drop index outbox_lease;
