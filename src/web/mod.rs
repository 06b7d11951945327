//! Serving the web app of a node: the [`Backend`](coopnet_web::Backend)
//! implementation over a node ([`backend`]), local users ([`users`]) and
//! starting the server.

pub mod backend;
mod bids;
mod network;
pub mod users;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use coopnet_node::Node;

pub use backend::NodeBackend;

/// A web server that is running.
#[derive(Debug)]
pub struct WebServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl WebServer {
    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes requests in flight, and waits.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(Err(e)) => tracing::warn!("web server: {e}"),
            Err(e) => tracing::warn!("web server task: {e}"),
            Ok(Ok(())) => {}
        }
    }
}

/// Serves `node`'s web app on `addr` (port 0 picks a free one).
pub async fn serve(node: Arc<Node>, addr: &str) -> anyhow::Result<WebServer> {
    serve_with(node, addr, coopnet_web::WebConfig::plain_http()).await
}

/// [`serve`] with this set-up.
pub async fn serve_with(
    node: Arc<Node>,
    addr: &str,
    config: coopnet_web::WebConfig,
) -> anyhow::Result<WebServer> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for the web app on {addr}"))?;
    let addr = listener.local_addr()?;
    let mut config = config;
    config.metrics_open |= addr.ip().is_loopback();
    let app = coopnet_web::router(Arc::new(NodeBackend::new(node)), config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(coopnet_web::serve(listener, app, async move {
        let _ = stopped.await;
    }));
    Ok(WebServer {
        addr,
        task,
        stop: Some(stop),
    })
}
