//! Introspection of the live schema, used to prove both migration folders agree.

use std::collections::BTreeSet;

use sqlx::Any;

use crate::{Backend, Db};

/// One column as the parity check sees it: table, column, portable type class, nullable.
pub type ColumnShape = (String, String, &'static str, bool);

/// Every application table's columns, with types folded into portable classes.
pub async fn columns(db: &Db) -> anyhow::Result<BTreeSet<ColumnShape>> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "select m.name as tbl, p.name as col, lower(p.type) as ty, \
             case when p.\"notnull\" = 1 or p.pk > 0 then 0 else 1 end as nullable \
             from sqlite_master m join pragma_table_info(m.name) p \
             where m.type = 'table' and m.name not like 'sqlite_%' \
             and m.name <> '_portico_migrations'"
        }
        Backend::Postgres => {
            "select table_name::text as tbl, column_name::text as col, data_type::text as ty, \
             case when is_nullable = 'YES' then 1 else 0 end as nullable \
             from information_schema.columns \
             where table_schema = current_schema() and table_name <> '_portico_migrations'"
        }
    };
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as::<Any, _>(sql).fetch_all(db.pool()).await?;
    Ok(rows
        .into_iter()
        .map(|(table, column, ty, nullable)| (table, column, type_class(&ty), nullable == 1))
        .collect())
}

fn type_class(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") {
        "text"
    } else if t.contains("blob") || t.contains("bytea") {
        "blob"
    } else if t.contains("double") || t.contains("real") || t.contains("float") {
        "real"
    } else {
        "other"
    }
}
