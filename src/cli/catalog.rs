//! `motcua catalog import|export`: the procedure catalog as files, through the same
//! `service::catalog` code path as `POST /procedures/import` and `GET /procedures/export`.

use std::io::Write;
use std::path::Path;

use super::with_migrated_conn;
use crate::config::Config;
use crate::domain::catalog::{parse_import, FileFormat};
use crate::service::catalog::{self, ImportMode, ImportOutcome};

/// `catalog import`: parse first (to size the progress bar), then the shared import path.
/// indicatif draws the bar on standard error only when it is a terminal. The format comes
/// from the extension (.json, else CSV) unless `format` says.
pub fn import(
    config: &Config,
    file: &Path,
    partial: bool,
    format: Option<FileFormat>,
) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let format = format.unwrap_or_else(|| {
        let json = file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if json {
            FileFormat::Json
        } else {
            FileFormat::Csv
        }
    });
    let mode = if partial {
        ImportMode::Partial
    } else {
        ImportMode::AllOrNothing
    };
    let parsed = parse_import(format, &bytes);
    let bar = indicatif::ProgressBar::new(parsed.items.len() as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {pos}/{len} procedures ({elapsed})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let outcome = with_migrated_conn(config, |conn| {
        catalog::import_parsed(conn, parsed, mode, None, &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .map_err(|e| e.to_string())
    })?;
    bar.finish_and_clear();
    print_report(&outcome);
    if outcome.applied {
        Ok(())
    } else {
        Err(format!(
            "nothing imported: {} finding(s) in {}",
            outcome.issues.len(),
            file.display()
        ))
    }
}

fn print_report(o: &ImportOutcome) {
    for i in &o.issues {
        eprintln!(
            "row {} {} {}: {}",
            i.row,
            i.code.as_deref().unwrap_or("-"),
            i.field,
            i.message.en
        );
    }
    println!(
        "{} procedure(s): {} inserted, {} updated, {} unchanged, {} rejected{}",
        o.total,
        o.inserted,
        o.updated,
        o.unchanged,
        o.rejected,
        if o.applied { "" } else { " (nothing written)" }
    );
}

/// `catalog export`: the latest version of every procedure to standard output.
pub fn export(config: &Config, format: FileFormat) -> Result<(), String> {
    with_migrated_conn(config, |conn| {
        let text = catalog::export(conn, format).map_err(|e| e.to_string())?;
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|_| out.flush())
            .map_err(|e| e.to_string())
    })
}
