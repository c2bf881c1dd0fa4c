//! The disk's fsync rate: a small file written and fsynced again and
//! again. One commit per write cannot go faster than this, so it is the
//! ceiling beside which the store's figures make sense on the machine the
//! benchmark happens to run on.

use std::time::Instant;

/// Writes and fsyncs a small file `n` times: the disk's durable-commit
/// ceiling, beside which the store's figures make sense.
pub(crate) fn fsync_rate(dir: &std::path::Path, n: usize) -> anyhow::Result<f64> {
    use std::io::Write as _;
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path)?;
    let t = Instant::now();
    for i in 0..n {
        f.write_all(format!("{i}\n").as_bytes())?;
        f.sync_all()?;
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    std::fs::remove_file(&path)?;
    Ok(rate)
}
