//! The command line as a person types it, run as the real binary: `.env` in the working
//! directory is read (the environment wins over it), and options go after the subcommand.

use std::path::Path;
use std::process::{Command, Output};

const LONG_SECRET: &str = "a-secret-of-more-than-thirty-two-bytes-0123456789";

/// `motcua ARGS` in `dir`, with none of the variables these tests set inherited.
fn motcua(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_motcua"));
    cmd.current_dir(dir).args(args);
    for var in [
        "JWT_SECRET",
        "RESULT_SIGNING_KEYS",
        "DATABASE_URL",
        "MOTCUA_BIND",
        "LOG_FORMAT",
        "PAYMENT_GATEWAY",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run motcua")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn serve_reads_dot_env_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    // Without .env: the first missing setting is named.
    let o = motcua(dir.path(), &["serve"], &[]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("JWT_SECRET is not set"),
        "{}",
        stderr(&o)
    );

    std::fs::write(
        dir.path().join(".env"),
        "# as in .env.example\nJWT_SECRET=too-short\nDATABASE_URL=sqlite://data/test.db\n",
    )
    .unwrap();
    let o = motcua(dir.path(), &["serve"], &[]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("JWT_SECRET is too short"),
        "{}",
        stderr(&o)
    );

    // The environment's secret wins over the file's: the next check is reached.
    let o = motcua(dir.path(), &["serve"], &[("JWT_SECRET", LONG_SECRET)]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("RESULT_SIGNING_KEYS is not set"),
        "{}",
        stderr(&o)
    );

    // And so does a flag, typed after the subcommand.
    let o = motcua(
        dir.path(),
        &[
            "serve",
            "--jwt-secret",
            LONG_SECRET,
            "--bind",
            "127.0.0.1:1",
        ],
        &[],
    );
    assert!(
        stderr(&o).contains("RESULT_SIGNING_KEYS is not set"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("m.db").display());
    let o = motcua(
        dir.path(),
        &["migrate", "--database-url", &db, "--log-format", "json"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("m.db").exists());
    let lines: Vec<String> = stderr(&o).lines().map(str::to_string).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v["ts"].is_string() && v["level"].is_string() && v["msg"].is_string(),
            "{line}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("migration(s) applied")),
        "{lines:?}"
    );
}
