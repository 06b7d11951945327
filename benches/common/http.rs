//! A plain HTTP/1.1 client for the web benchmarks: one keep-alive
//! connection, requests timed from sending to the body's last byte.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Instant;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// One keep-alive HTTP/1.1 connection to the web server.
pub struct Client {
    send: SendRequest<Empty<Bytes>>,
    host: String,
    auth: String,
}

impl Client {
    pub async fn connect(addr: SocketAddr, token: &str) -> Client {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        tcp.set_nodelay(true).expect("TCP_NODELAY");
        let (send, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .expect("HTTP/1.1 handshake");
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("client connection: {e}");
            }
        });
        Client {
            send,
            host: addr.to_string(),
            auth: format!("Bearer {token}"),
        }
    }

    /// GETs `path`: the status, the body, and the seconds from sending the
    /// request to the body's last byte.
    pub async fn get(&mut self, path: &str) -> (u16, Bytes, f64) {
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::AUTHORIZATION, &self.auth)
            .body(Empty::new())
            .expect("a request");
        self.send.ready().await.expect("the connection is open");
        let start = Instant::now();
        let response = self.send.send_request(request).await.expect("a response");
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.expect("a body");
        (status, body.to_bytes(), start.elapsed().as_secs_f64())
    }
}
