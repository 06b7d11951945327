//! A TCP relay that counts the bytes each way, to measure what really
//! crosses the wire between two nodes.

#![allow(dead_code)]

use super::*;

/// Bytes a [`CountingProxy`] has relayed each way.
#[derive(Debug, Default)]
pub struct Relayed {
    /// From the dialling side to the target.
    pub up: AtomicU64,
    /// From the target to the dialling side.
    pub down: AtomicU64,
    /// Connections accepted.
    pub connections: AtomicU64,
}

/// A loopback TCP relay to `target` that counts every byte it carries:
/// the transport-level traffic of the connections made through it (TCP
/// payload: multistream-select, Noise, Yamux and every protocol's frames).
/// Stops relaying when dropped.
#[derive(Debug)]
pub struct CountingProxy {
    /// The port to dial instead of the target's.
    pub port: u16,
    /// The counters.
    pub relayed: Arc<Relayed>,
    task: tokio::task::JoinHandle<()>,
}

impl CountingProxy {
    /// Starts relaying from a fresh loopback port to `127.0.0.1:target`.
    pub async fn start(target: u16) -> CountingProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let relayed = Arc::new(Relayed::default());
        let counters = Arc::clone(&relayed);
        let task = tokio::spawn(async move {
            // Dropping the set (when this task is aborted) aborts the relays.
            let mut relays = tokio::task::JoinSet::new();
            while let Ok((inbound, _)) = listener.accept().await {
                counters.connections.fetch_add(1, Ordering::Relaxed);
                let counters = Arc::clone(&counters);
                relays.spawn(async move {
                    let Ok(outbound) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                    else {
                        return;
                    };
                    let _ = inbound.set_nodelay(true);
                    let _ = outbound.set_nodelay(true);
                    let (in_read, in_write) = inbound.into_split();
                    let (out_read, out_write) = outbound.into_split();
                    let up = pump(in_read, out_write, Arc::clone(&counters), true);
                    let down = pump(out_read, in_write, counters, false);
                    tokio::join!(up, down);
                });
            }
        });
        CountingProxy {
            port,
            relayed,
            task,
        }
    }

    /// Bytes relayed (up, down) so far.
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.relayed.up.load(Ordering::Relaxed),
            self.relayed.down.load(Ordering::Relaxed),
        )
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    counters: Arc<Relayed>,
    up: bool,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let counter = if up { &counters.up } else { &counters.down };
        counter.fetch_add(n as u64, Ordering::Relaxed);
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
