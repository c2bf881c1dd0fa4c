//! How much the store holds: the resource types with records, and the
//! number of records of a type (bulk export, the demo's checks).

use crate::{Store, StoreError};
use sqlx::Row;

impl Store {
    /// The resource types that have records, in order.
    pub async fn resource_types(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT DISTINCT resource_type FROM records ORDER BY resource_type")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                r.try_get::<String, _>("resource_type")
                    .map_err(StoreError::from)
            })
            .collect()
    }

    /// Number of records of a type.
    pub async fn count(&self, resource_type: &str) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM records WHERE resource_type = $1")
            .bind(resource_type)
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
