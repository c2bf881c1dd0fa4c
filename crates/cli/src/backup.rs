//! `tiercare backup` and `tiercare restore`.
//!
//! SQLite: a backup is a consistent copy taken online (`VACUUM INTO`, one
//! read transaction, so servers keep writing meanwhile); a restore copies a
//! backup into a database file that is absent or empty (or, with
//! `--force`, replaces it: stop the servers on it first).
//!
//! PostgreSQL: `pg_dump` and `pg_restore` do the work; they are run when
//! they are on `PATH`, and otherwise the exact command is printed and the
//! command fails, as nothing was copied.
//!
//! Either way a restore ends by opening the restored database (bringing its
//! schema up to date), verifying its audit trail and counting its rows.

use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use tiercare_store::{Backend, Store, copy_sqlite, database_kind, holds_data};

/// Writes a backup of the database at `url` to `out`; what was done.
pub async fn backup(url: &str, out: &Path) -> anyhow::Result<String> {
    let (backend, _) = database_kind(url)?;
    if out.exists() {
        bail!(
            "{} exists already: a backup never overwrites a file",
            out.display()
        );
    }
    match backend {
        Backend::Sqlite => {
            let store = Store::open(url)
                .await
                .with_context(|| format!("opening database {url}"))?;
            let done = store.backup_into(out).await;
            store.close().await;
            done.with_context(|| format!("backing up into {}", out.display()))?;
            Ok(format!("backed up {url} into {}", out.display()))
        }
        Backend::Postgres => {
            let args = vec![
                "--format=custom".to_string(),
                "--no-owner".into(),
                "--no-privileges".into(),
                format!("--file={}", out.display()),
                url.to_string(),
            ];
            run_tool("pg_dump", &args)?;
            Ok(format!(
                "backed up {url} into {} with pg_dump",
                out.display()
            ))
        }
    }
}

/// Restores the backup `input` into the database at `url`, which must hold
/// no data unless `force`; what was restored.
pub async fn restore(url: &str, input: &Path, force: bool) -> anyhow::Result<(String, bool)> {
    let (backend, file) = database_kind(url)?;
    if !input.is_file() {
        bail!("{} is not a backup file", input.display());
    }
    if !force
        && holds_data(url)
            .await
            .context("looking at the target database")?
    {
        bail!(
            "{url} already holds data: restore into an empty database, or pass --force to replace it"
        );
    }
    match backend {
        Backend::Sqlite => {
            let Some(target) = file else {
                bail!("restore needs a database file: sqlite://PATH");
            };
            let staged = beside(&target, ".restoring");
            remove(&staged)?;
            copy_sqlite(input, &staged)
                .await
                .with_context(|| format!("copying {}", input.display()))?;
            for old in [
                target.clone(),
                beside(&target, "-wal"),
                beside(&target, "-shm"),
            ] {
                remove(&old)?;
            }
            std::fs::rename(&staged, &target)
                .with_context(|| format!("moving the restored database to {}", target.display()))?;
        }
        Backend::Postgres => {
            // --clean drops what the dump holds first: the tables of a
            // target that has the schema but no data, or (forced) data.
            let args = vec![
                "--clean".to_string(),
                "--if-exists".into(),
                "--no-owner".into(),
                "--no-privileges".into(),
                "--single-transaction".into(),
                "--exit-on-error".into(),
                format!("--dbname={url}"),
                input.display().to_string(),
            ];
            run_tool("pg_restore", &args)?;
        }
    }
    let store = Store::open(url)
        .await
        .with_context(|| format!("opening the restored database {url}"))?;
    let counts = store.table_counts().await;
    let audit = crate::audit::verify_open(&store).await;
    store.close().await;
    let counts = counts.context("counting the restored rows")?;
    let (report, intact) = audit?;
    let mut out = format!("restored {} into {url}\n", input.display());
    for (table, n) in &counts {
        out.push_str(&format!("  {table:<24} {n:>10} rows\n"));
    }
    out.push_str(&report);
    Ok((out, intact))
}

/// `path` with `suffix` added to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Runs a PostgreSQL tool found on `PATH`, or fails with the command to
/// run by hand.
fn run_tool(tool: &str, args: &[String]) -> anyhow::Result<()> {
    let shown = std::iter::once(tool.to_string())
        .chain(args.iter().map(|a| shell_quote(a)))
        .collect::<Vec<_>>()
        .join(" ");
    let Some(program) = on_path(tool) else {
        bail!(
            "{tool} is not on PATH; nothing was copied. Install the PostgreSQL client tools (the server's version or newer) and run:\n  {shown}"
        );
    };
    let status = Command::new(&program)
        .args(args)
        .status()
        .with_context(|| format!("running {}", program.display()))?;
    if !status.success() {
        bail!("{tool} failed ({status}): {shown}");
    }
    Ok(())
}

fn on_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

/// Quoted for a POSIX shell when it needs to be.
fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_=./:@%+,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
