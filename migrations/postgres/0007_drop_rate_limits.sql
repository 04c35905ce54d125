-- Rate-limit counters live in memory (embedded default) or Redis: a limit check no longer
-- writes to the database.
drop table rate_limits;
