//! The command-line commands, one module each.

pub mod backup;
pub mod check;
pub mod control;
pub mod demo;
mod demo_data;
pub mod federation;
pub mod init;
pub mod logging;
pub mod out;
pub mod run;
pub mod users;

/// The tokio runtime the long-running commands use.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let term = async {
        match term.as_mut() {
            Some(term) => {
                term.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
