//! Exclusive sections: work that one server at a time may do on a
//! database, such as loading the demo county into an empty one.
//!
//! Two servers started together on one empty database would otherwise both
//! find it empty and both load. The section is held by a PostgreSQL
//! session advisory lock (on a connection of its own, so the lock ends
//! with the connection even if the server dies), or by an operating-system
//! lock on a file beside a SQLite database. An in-memory SQLite database
//! has one server by definition and needs no lock.

use crate::db::Backend;
use crate::{Store, StoreError};
use sqlx::{AnyConnection, Connection};
use std::fs::File;

/// A held section; dropping it (or [`release`](Exclusive::release)) lets
/// the next server in.
#[derive(Debug)]
pub struct Exclusive {
    held: Held,
}

#[derive(Debug)]
enum Held {
    Postgres(Box<AnyConnection>),
    File(File),
    Nothing,
}

impl Store {
    /// Waits until no other server holds the section `name`, then holds it.
    pub async fn exclusive(&self, name: &str) -> Result<Exclusive, StoreError> {
        let held = match (self.backend, &self.path) {
            (Backend::Postgres, _) => {
                let mut conn = self.read.acquire().await?.detach();
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(key(name))
                    .execute(&mut conn)
                    .await?;
                Held::Postgres(Box::new(conn))
            }
            (Backend::Sqlite, Some(db)) => Held::File(lock_beside(db, name).await?),
            (Backend::Sqlite, None) => Held::Nothing,
        };
        Ok(Exclusive { held })
    }
}

impl Exclusive {
    /// Ends the section now (dropping it does too, less politely: the
    /// PostgreSQL connection is closed without a goodbye).
    pub async fn release(self) {
        match self.held {
            Held::Postgres(conn) => {
                let _ = conn.close().await;
            }
            Held::File(file) => {
                let _ = file.unlock();
            }
            Held::Nothing => {}
        }
    }
}

/// Takes the operating system's exclusive lock on the file `DB.NAME.lock`
/// beside a SQLite database, waiting for another process to let go of it.
pub(crate) async fn lock_beside(db: &std::path::Path, name: &str) -> Result<File, StoreError> {
    let mut lock = db.to_path_buf().into_os_string();
    lock.push(format!(".{name}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|e| StoreError::Lock(e.to_string()))?;
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| StoreError::Lock(e.to_string()))?
        .map_err(|e| StoreError::Lock(e.to_string()))
}

/// A stable advisory-lock key for a section name (FNV-1a), apart from the
/// write lock's.
fn key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("tiercare:{name}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use crate::records::tests::store_and_url;
    use crate::{Store, StoreError};
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_server_waits_for_the_section() {
        let (first, _dir, url) = store_and_url().await;
        let second = Store::open(&url).await.unwrap();
        let held = first.exclusive("demo").await.unwrap();
        let waiting = tokio::spawn(async move {
            let e = second.exclusive("demo").await?;
            e.release().await;
            Ok::<_, StoreError>(())
        });
        // Still waiting while the first holds it (a bounded look: the
        // waiter must not finish, whatever the machine's speed) ...
        let early = tokio::time::timeout(Duration::from_millis(300), async {
            while !waiting.is_finished() {
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert!(early.is_err(), "the second server entered a held section");
        // ... and in once it is released.
        held.release().await;
        waiting.await.unwrap().unwrap();
        // Another name is another section.
        let a = first.exclusive("a").await.unwrap();
        let b = first.exclusive("b").await.unwrap();
        a.release().await;
        b.release().await;
    }
}
