#!/usr/bin/env bash
# Query plans of the history-bounded reads on a seeded database (called by run.sh):
#   explain.sh sqlite FILE TENANT_ID STAFF_ID | explain.sh postgres URL TENANT_ID STAFF_ID
# Shows the busy-time query as it is now (per person, `staff_id = …` / `staff_id is null`)
# and as it was (`coalesce(staff_id, 0) = …`), the block counts, and the provider's day of
# bookings (`bookings::list`) — on PostgreSQL also as the generic plan a prepared statement
# may switch to after five runs, which does not know the window's bounds.
set -euo pipefail
BACKEND=$1 TARGET=$2 TENANT=$3 STAFF=$4
FROM=$(date -u +%s)
TO=$((FROM + 3 * 86400))
OCCUPYING="('pending', 'confirmed')"
busy() { # PERSON_PREDICATE
    echo "select busy_from, busy_until from bookings where tenant_id = $TENANT and $1 \
and busy_until > $FROM and +busy_from < $TO and block_id is null and status in $OCCUPYING and id <> 0 \
union all select busy_from, busy_until from holds where tenant_id = $TENANT and $1 \
and busy_until > $FROM and +busy_from < $TO and block_id is null and consumed_at is null and +expires_at > $FROM"
}
OLD="select busy_from, busy_until from bookings where tenant_id = $TENANT and coalesce(staff_id, 0) = $STAFF \
and block_id is null and status in $OCCUPYING and busy_until > $FROM and busy_from < $TO and id <> 0"
BLOCKS="select k.block_id, k.service_id, count(*) from bookings k join timetable_blocks b on b.id = k.block_id \
where b.tenant_id = $TENANT and b.local_date >= '2026-01-01' and b.local_date <= '2026-01-07' \
and k.status in $OCCUPYING group by k.block_id, k.service_id"
HELD="select h.block_id, h.service_id, count(*) from holds h join timetable_blocks b on b.id = h.block_id \
where b.tenant_id = $TENANT and b.local_date >= '2026-01-01' and b.local_date <= '2026-01-07' \
and h.consumed_at is null and h.expires_at > $FROM group by h.block_id, h.service_id"
DAY_FROM=$((FROM + 2 * 86400))
DAY_SQL="select b.id, b.starts_at, s.name from bookings b join services s on s.id = b.service_id \
where b.tenant_id = \$1 and b.ends_at > \$2 and b.starts_at < \$3 and (\$4 = '' or b.status = \$4) \
and (\$5 = 0 or coalesce(b.staff_id, 0) = \$5) and (\$6 = 0 or b.client_id = \$6) \
and (\$7 or b.block_id is not null or (b.staff_id is not null and b.staff_id = \$8)) \
order by b.starts_at asc, b.id asc limit \$9"
DAY_ARGS="$TENANT, $DAY_FROM, $((DAY_FROM + 86400)), '', 0, 0, true, 0, 1000"
for q in "busy, one staff member|$(busy "staff_id = $STAFF")" "busy, the owner|$(busy "staff_id is null")" \
    "busy as before 0009 (coalesce)|$OLD" "block bookings|$BLOCKS" "block holds|$HELD"; do
    echo "-- ${q%%|*}"
    if [ "$BACKEND" = sqlite ]; then
        sqlite3 "$TARGET" "explain query plan ${q#*|}"
    else
        psql -qtA "$TARGET" -c "analyze" -c "explain ${q#*|}"
    fi
done
echo "-- provider's day of bookings"
if [ "$BACKEND" = sqlite ]; then
    sqlite3 "$TARGET" "explain query plan $(echo "$DAY_SQL" | sed "s/\\\$[1-9]/?/g")"
else
    for mode in force_custom_plan force_generic_plan; do
        echo "-- ($mode)"
        psql -qtA "$TARGET" -c "set plan_cache_mode = $mode" \
            -c "prepare day(bigint, bigint, bigint, text, bigint, bigint, boolean, bigint, bigint) as $DAY_SQL" \
            -c "explain (analyze, buffers, costs off) execute day($DAY_ARGS)"
    done
fi
