//! `voisinage bench`: ingest throughput beside a plain INSERT loop, and the matching query's
//! latency on a large table. Prints figures; never asserts.

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Messages ingested for the throughput figure.
    #[arg(long, default_value_t = 2000)]
    pub messages: usize,
    /// Posts in the table for the matching figure.
    #[arg(long, default_value_t = 1_000_000)]
    pub posts: i64,
    /// Areas the posts are spread over.
    #[arg(long, default_value_t = 200)]
    pub areas: i64,
}

/// Runs the benchmarks.
pub async fn run(_settings: crate::config::Settings, _args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
