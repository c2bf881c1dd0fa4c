//! `tiercare`: serve the platform, run the demo county, manage users,
//! verify the audit trail, back up and restore, benchmark, and simulate and
//! calibrate policy scenarios. See
//! `tiercare --help`.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use tiercare::config::{Overrides, Settings};
use tiercare::{audit, backup, bench, calibrate, demo, simulate, startup, users};
use tiercare_core::demo::DemoCounty;
use tiercare_store::AuditAnchor;

#[derive(Parser)]
#[command(
    name = "tiercare",
    version,
    about = "Tiered care for a region: family doctors, two-way referral, indicators"
)]
struct Cli {
    /// Configuration file (TOML). Default: ./tiercare.toml if present.
    #[arg(long, global = true, env = "TIERCARE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
struct ServerFlags {
    /// Address to listen on, HOST:PORT [env: TIERCARE_LISTEN]
    #[arg(long)]
    listen: Option<String>,
    /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [env: TIERCARE_DATABASE_URL]
    #[arg(long)]
    database: Option<String>,
}

impl ServerFlags {
    fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen.clone(),
            database_url: self.database.clone(),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the platform.
    Serve(ServerFlags),
    /// Serve the platform with the bundled demo county loaded.
    Demo {
        #[command(flatten)]
        server: ServerFlags,
        /// Number of synthetic residents in the demo county.
        #[arg(long, default_value_t = DemoCounty::DEFAULT_RESIDENTS)]
        residents: usize,
        /// Days of past activity a fresh demo database starts with (0 for
        /// none); a database that holds the demo county already is kept.
        #[arg(long, default_value_t = demo::HistoryOptions::DEFAULT_DAYS)]
        history_days: u32,
        /// Seed of the generated history.
        #[arg(long, default_value_t = demo::HistoryOptions::DEFAULT_SEED)]
        seed: u64,
        /// Load the demo county and its history, print what was loaded and
        /// exit instead of serving.
        #[arg(long)]
        load_only: bool,
        /// Leave out the simulated rest of the county: the history is then
        /// the synthetic residents' alone, and every figure can be
        /// recounted from the records.
        #[arg(long)]
        synthetic_only: bool,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent copy of the database to OUT while servers keep
    /// running (SQLite: VACUUM INTO; PostgreSQL: pg_dump when on PATH,
    /// else the command to run).
    Backup {
        /// The backup file to write; it must not exist.
        out: PathBuf,
        /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [env: TIERCARE_DATABASE_URL]
        #[arg(long)]
        database: Option<String>,
    },
    /// Restore a backup into a database that holds no data (stop the
    /// servers on it first), then verify its audit trail.
    Restore {
        /// The backup file to read.
        input: PathBuf,
        /// Replace a database that already holds data.
        #[arg(long)]
        force: bool,
        /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [env: TIERCARE_DATABASE_URL]
        #[arg(long)]
        database: Option<String>,
    },
    /// Measure Patient create throughput and read latency on a fresh
    /// embedded database, against baselines from the same run.
    Bench(bench::BenchArgs),
    /// Drive the referral loop against a running server from this process:
    /// closed-loop throughput, then latency at fixed offered rates.
    Load(bench::load::LoadArgs),
    /// Run policy scenarios of the simulator and compare each with the
    /// first (the baseline): indicators with 95% intervals, monthly
    /// series, CSV and HTML reports.
    Simulate(simulate::SimulateArgs),
    /// Fit a scenario's level constants (choice.asc) to observed shares of
    /// visits and write the fitted scenario.
    Calibrate(calibrate::CalibrateArgs),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user account.
    Add {
        #[arg(long)]
        username: String,
        /// At least 10 characters; read from standard input when absent.
        #[arg(long)]
        password: Option<String>,
        /// admin, coordinator, doctor, analyst, insurer or resident
        #[arg(long)]
        role: String,
        /// Institution (Organization id) the user works at.
        #[arg(long)]
        institution: Option<String>,
        /// Practitioner id of a doctor (gives access to their teams' patients).
        #[arg(long)]
        practitioner: Option<String>,
        /// Patient id of a resident account.
        #[arg(long)]
        resident: Option<String>,
        /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [env: TIERCARE_DATABASE_URL]
        #[arg(long)]
        database: Option<String>,
    },
    /// List the accounts: name, role, links, enabled or not, language.
    List {
        /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [env: TIERCARE_DATABASE_URL]
        #[arg(long)]
        database: Option<String>,
    },
    /// Give an account another role.
    Role {
        username: String,
        /// admin, coordinator, doctor, analyst, insurer or resident
        role: String,
        /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [env: TIERCARE_DATABASE_URL]
        #[arg(long)]
        database: Option<String>,
    },
    /// Disable an account: it cannot sign in and its sessions end at once.
    Disable {
        username: String,
        /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [env: TIERCARE_DATABASE_URL]
        #[arg(long)]
        database: Option<String>,
    },
    /// Enable a disabled account again.
    Enable {
        username: String,
        /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [env: TIERCARE_DATABASE_URL]
        #[arg(long)]
        database: Option<String>,
    },
    /// Set a new password for an account; its sessions end.
    Passwd {
        username: String,
        /// At least 10 characters; read from standard input when absent.
        #[arg(long)]
        password: Option<String>,
        /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [env: TIERCARE_DATABASE_URL]
        #[arg(long)]
        database: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit trail's hash chain: print where and why it breaks
    /// (an edited, deleted or reordered entry) and its head; exit non-zero
    /// when it is broken.
    Verify {
        /// A head printed by an earlier verify, SEQ:HASH: also check that
        /// the trail still passes through it (removing the newest entries
        /// shows only this way).
        #[arg(long)]
        anchor: Option<AuditAnchor>,
        /// Database URL, sqlite://PATH or postgres://USER@HOST/DB [env: TIERCARE_DATABASE_URL]
        #[arg(long)]
        database: Option<String>,
    },
}

/// The database URL a maintenance command acts on: its `--database`, else
/// the configuration's.
fn database_url(
    file: Option<&std::path::Path>,
    database: Option<String>,
) -> anyhow::Result<String> {
    let flags = Overrides {
        listen: None,
        database_url: database,
    };
    Ok(Settings::load(Settings::default(), file, &flags)?.database_url)
}

/// Prints a report; fails with `failure` when `ok` is false.
fn finish((out, ok): (String, bool), failure: &str) -> anyhow::Result<()> {
    print!("{out}");
    if ok {
        Ok(())
    } else {
        anyhow::bail!("{failure}")
    }
}

impl UserCommand {
    fn database(&self) -> Option<String> {
        match self {
            UserCommand::Add { database, .. }
            | UserCommand::List { database }
            | UserCommand::Role { database, .. }
            | UserCommand::Disable { database, .. }
            | UserCommand::Enable { database, .. }
            | UserCommand::Passwd { database, .. } => database.clone(),
        }
    }
}

/// Runs a `tiercare user` command against the configured database.
async fn user_command(file: Option<&std::path::Path>, command: UserCommand) -> anyhow::Result<()> {
    let flags = Overrides {
        listen: None,
        database_url: command.database(),
    };
    let settings = Settings::load(Settings::default(), file, &flags)?;
    let state = startup::app_state(startup::open_store(&settings).await?, &settings)?;
    let ctx = &state.ctx;
    let result = match command {
        UserCommand::Add {
            username,
            password,
            role,
            institution,
            practitioner,
            resident,
            ..
        } => {
            let spec = users::UserSpec {
                username,
                password: users::password_from(password)?,
                role,
                institution,
                practitioner,
                resident,
            };
            users::add_user(ctx, &users::console(), &spec)
                .await
                .map(|a| format!("added user {} ({})\n", a.actor.username, a.actor.role))
                .map_err(users::explain)
        }
        UserCommand::List { .. } => users::list(ctx).await,
        UserCommand::Role { username, role, .. } => {
            users::change(ctx, &username, users::Change::Role(role)).await
        }
        UserCommand::Disable { username, .. } => {
            users::change(ctx, &username, users::Change::Disable).await
        }
        UserCommand::Enable { username, .. } => {
            users::change(ctx, &username, users::Change::Enable).await
        }
        UserCommand::Passwd {
            username, password, ..
        } => {
            let password = users::password_from(password)?;
            users::change(ctx, &username, users::Change::Password(password)).await
        }
    };
    ctx.store.close().await;
    let out = result?;
    print!("{out}");
    if !out.ends_with('\n') {
        println!();
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let file = cli.config.as_deref();
    match cli.command {
        Command::Serve(flags) => {
            let settings = Settings::load(Settings::default(), file, &flags.overrides())?;
            startup::init_logging(&settings.log_format);
            let state = startup::app_state(startup::open_store(&settings).await?, &settings)?;
            startup::reindex(&state).await?;
            let listener = startup::bind(&settings).await?;
            let ops = startup::bind_ops(&settings).await?;
            println!("tiercare listening on http://{}", listener.local_addr()?);
            startup::run(listener, ops, state).await
        }
        Command::Demo {
            server,
            residents,
            history_days,
            seed,
            load_only,
            synthetic_only,
        } => {
            let county = DemoCounty::generate(residents, 2026);
            let base = Settings {
                database_url: "sqlite://tiercare-demo.db".into(),
                region_id: county.region.id.to_string(),
                region_name: county.region.name.clone(),
                ..Settings::default()
            };
            let settings = Settings::load(base, file, &server.overrides())?;
            startup::init_logging(&settings.log_format);
            let state = startup::app_state(startup::open_store(&settings).await?, &settings)?;
            startup::reindex(&state).await?;
            let options = demo::HistoryOptions {
                days: history_days,
                seed,
                county: !synthetic_only,
            };
            let started = std::time::Instant::now();
            demo::report_progress(true);
            let (loaded, history) = demo::load_with_history(&state, &county, options)
                .await
                .context("loading the demo county")?;
            println!(
                "tiercare demo: {} ({} records loaded now, {} outpatient slots opened for the next {} working days)",
                county.region.name,
                loaded.records,
                loaded.slots,
                demo::SESSION_DAYS
            );
            if let Some(h) = &history {
                println!("  past {history_days} days: {}", h.care);
                println!("  joint programmes: {}", h.outreach);
                if let Some(c) = &h.county {
                    println!("  the rest of the county, simulated: {c}");
                }
                println!("  emergencies of the past year: {}", h.emergency);
            }
            println!("  loaded in {:.1} s", started.elapsed().as_secs_f64());
            if load_only {
                state.ctx.store.close().await;
                return Ok(());
            }
            let listener = startup::bind(&settings).await?;
            let ops = startup::bind_ops(&settings).await?;
            let addr = listener.local_addr()?;
            println!("  URL:      http://{addr}/   (FHIR API: http://{addr}/fhir/r4/metadata)");
            println!(
                "  indicator dashboard: http://{addr}/ui/dashboard   (sign in as analyst or admin)"
            );
            println!("  database: {}", settings.database_url);
            println!("  demo users (demo only: these passwords are public):");
            for u in &loaded.users {
                println!("    {:<12} {:<24} {}", u.username, u.password, u.note);
            }
            println!(
                "  try: curl -s -d grant_type=password -d username=doctor -d password=doctor-demo-2026 http://{addr}/auth/token"
            );
            startup::run(listener, ops, state).await
        }
        Command::User { command } => user_command(file, command).await,
        Command::Audit {
            command: AuditCommand::Verify { anchor, database },
        } => {
            let url = database_url(file, database)?;
            finish(
                audit::verify(&url, anchor.as_ref()).await?,
                "the audit trail is broken",
            )
        }
        Command::Backup { out, database } => {
            let url = database_url(file, database)?;
            println!("{}", backup::backup(&url, &out).await?);
            Ok(())
        }
        Command::Restore {
            input,
            force,
            database,
        } => {
            let url = database_url(file, database)?;
            finish(
                backup::restore(&url, &input, force).await?,
                "restored, but the audit trail is broken",
            )
        }
        Command::Bench(args) => bench::run(args).await,
        Command::Load(args) => bench::load::run(args).await,
        Command::Simulate(args) => simulate::run(&args),
        Command::Calibrate(args) => calibrate::run(&args),
    }
}
