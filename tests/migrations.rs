//! The two migration trees describe the same schema.

mod common;

use std::collections::BTreeSet;

use common::*;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::MigrationHarness;
use motcua::db::DbConn;

fn names(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_trees_have_the_same_migrations() {
    let pg = names("postgres");
    assert!(!pg.is_empty());
    assert_eq!(pg, names("sqlite"));
    for name in &pg {
        for backend in ["postgres", "sqlite"] {
            for file in ["up.sql", "down.sql"] {
                let path = format!(
                    "{}/migrations/{backend}/{name}/{file}",
                    env!("CARGO_MANIFEST_DIR")
                );
                assert!(std::path::Path::new(&path).exists(), "{path} missing");
            }
        }
    }
}

#[derive(QueryableByName)]
struct Col {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

fn columns(conn: &mut DbConn) -> BTreeSet<(String, String)> {
    let sql = match conn {
        DbConn::Sqlite(_) => "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '__diesel_schema_migrations'",
        DbConn::Pg(_) => "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name <> '__diesel_schema_migrations'",
    };
    diesel::sql_query(sql)
        .load::<Col>(conn)
        .unwrap()
        .into_iter()
        .map(|c| (c.table_name, c.column_name))
        .collect()
}

fn migrated(db: &TestDb) -> BTreeSet<(String, String)> {
    let pool = db.pool(1);
    let mut conn = pool.get().unwrap();
    conn.apply_migrations().unwrap();
    // Down then up again: every down.sql undoes its up.sql.
    match &mut *conn {
        DbConn::Pg(c) => {
            c.revert_all_migrations(motcua::db::PG_MIGRATIONS).unwrap();
        }
        DbConn::Sqlite(c) => {
            c.revert_all_migrations(motcua::db::SQLITE_MIGRATIONS)
                .unwrap();
        }
    }
    assert!(
        columns(&mut conn).is_empty(),
        "down migrations leave tables behind"
    );
    conn.apply_migrations().unwrap();
    columns(&mut conn)
}

#[test]
fn both_backends_produce_the_same_tables_and_columns() {
    let sqlite = migrated(&TestDb::sqlite());
    assert!(sqlite.contains(&("users".to_string(), "password_hash".to_string())));
    let Some(pg_db) = TestDb::postgres() else {
        return;
    };
    let pg = migrated(&pg_db);
    assert_eq!(sqlite, pg, "schemas differ between SQLite and PostgreSQL");
}
