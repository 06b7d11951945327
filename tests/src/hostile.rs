//! A hostile peer for tests: its own libp2p node, written from
//! `protocol/SPEC.md` §8 (not from the node's code), that speaks gossipsub
//! on the federation's topic and the sync protocol `/coopnet/sync/1`, but
//! checks nothing and sends whatever bytes it is told, in any order: raw
//! gossip data, raw sync frames (length prefix included, so it can lie
//! about lengths), floods; and plain TCP sockets that never finish a
//! handshake. It answers pings (so a node does not close it as dead) and
//! never answers sync requests.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use coopnet_protocol::SecretKey;
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
pub use libp2p::PeerId;
use libp2p::gossipsub::{self, IdentTopic, MessageAuthenticity, ValidationMode};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, StreamProtocol, Swarm, noise, ping, tcp, yamux};
use sha2::Digest;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The sync protocol's name (SPEC §8.2).
const SYNC: StreamProtocol = StreamProtocol::new("/coopnet/sync/1");
/// Most bytes of a sync answer the hostile peer reads.
const MAX_ANSWER: u64 = 8 * 1024 * 1024;

/// The hostile peer's behaviour.
#[derive(NetworkBehaviour)]
struct Behaviour {
    gossip: gossipsub::Behaviour,
    sync: request_response::Behaviour<RawCodec>,
    ping: ping::Behaviour,
}

/// Sync requests as raw bytes, written as they are (the caller writes the
/// length prefix); answers read to the end of the stream.
#[derive(Debug, Clone, Default)]
struct RawCodec;

#[async_trait::async_trait]
impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> std::io::Result<Vec<u8>>
    where
        T: futures::AsyncRead + Unpin + Send,
    {
        let mut bytes = Vec::new();
        io.take(MAX_ANSWER).read_to_end(&mut bytes).await?;
        Ok(bytes)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> std::io::Result<Vec<u8>>
    where
        T: futures::AsyncRead + Unpin + Send,
    {
        let mut bytes = Vec::new();
        io.take(MAX_ANSWER).read_to_end(&mut bytes).await?;
        Ok(bytes)
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: Vec<u8>,
    ) -> std::io::Result<()>
    where
        T: futures::AsyncWrite + Unpin + Send,
    {
        io.write_all(&request).await?;
        io.close().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: Vec<u8>,
    ) -> std::io::Result<()>
    where
        T: futures::AsyncWrite + Unpin + Send,
    {
        io.write_all(&response).await?;
        io.close().await
    }
}

/// What the test asks of the hostile peer.
enum Order {
    Dial(Multiaddr, oneshot::Sender<Result<(), String>>),
    Gossip(Vec<Vec<u8>>, oneshot::Sender<usize>),
    Sync(PeerId, Vec<u8>, oneshot::Sender<Result<Vec<u8>, String>>),
    Connected(oneshot::Sender<Vec<PeerId>>),
    Subscribed(PeerId, oneshot::Sender<bool>),
    Heard(oneshot::Sender<Vec<Vec<u8>>>),
}

/// A running hostile peer.
#[derive(Debug)]
pub struct Hostile {
    /// Its libp2p identity.
    pub peer_id: PeerId,
    orders: mpsc::Sender<Order>,
    task: JoinHandle<()>,
}

/// A frame of the sync protocol as SPEC §8.2 defines it: a u32
/// big-endian length, then the body.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

/// The gossipsub message id SPEC §8.1 defines: SHA-256 of the data.
fn message_id(message: &gossipsub::Message) -> gossipsub::MessageId {
    gossipsub::MessageId::new(&sha2::Sha256::digest(&message.data))
}

fn swarm(secret: &SecretKey, topic: &IdentTopic) -> Swarm<Behaviour> {
    let keypair = coopnet_node::identity::libp2p_keypair(secret);
    let config = gossipsub::ConfigBuilder::default()
        .heartbeat_interval(Duration::from_millis(200))
        .validation_mode(ValidationMode::None)
        .message_id_fn(message_id)
        .max_transmit_size(1024 * 1024)
        .build()
        .expect("gossipsub config");
    let mut gossip =
        gossipsub::Behaviour::new(MessageAuthenticity::Anonymous, config).expect("gossipsub");
    gossip.subscribe(topic).expect("subscribe");
    let sync = request_response::Behaviour::with_codec(
        RawCodec,
        [(SYNC, ProtocolSupport::Full)],
        request_response::Config::default().with_request_timeout(Duration::from_secs(30)),
    );
    libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .expect("tcp")
        .with_behaviour(|_| Behaviour {
            gossip,
            sync,
            ping: ping::Behaviour::new(ping::Config::new().with_interval(Duration::from_secs(1))),
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
        .build()
}

impl Hostile {
    /// Starts a hostile peer with co-op key `secret` on gossip `topic`.
    pub fn start(secret: &SecretKey, topic: &str) -> Hostile {
        let topic = IdentTopic::new(topic);
        let mut swarm = swarm(secret, &topic);
        let peer_id = *swarm.local_peer_id();
        swarm
            .listen_on("/ip4/127.0.0.1/tcp/0".parse().expect("address"))
            .expect("listen");
        let (orders, inbox) = mpsc::channel(64);
        let task = tokio::spawn(run(swarm, topic, inbox));
        Hostile {
            peer_id,
            orders,
            task,
        }
    }

    async fn ask<T>(&self, order: impl FnOnce(oneshot::Sender<T>) -> Order) -> T {
        let (reply, answer) = oneshot::channel();
        self.orders
            .send(order(reply))
            .await
            .expect("hostile peer runs");
        answer.await.expect("hostile peer answers")
    }

    /// Dials `addr` (a node's `/ip4/…/tcp/…/p2p/…`).
    pub async fn dial(&self, addr: &str) {
        let addr: Multiaddr = addr.parse().expect("multiaddress");
        self.ask(|r| Order::Dial(addr, r)).await.expect("dial");
    }

    /// Publishes each of `messages` as gossip data, as they are; returns
    /// how many gossipsub took.
    pub async fn gossip(&self, messages: Vec<Vec<u8>>) -> usize {
        self.ask(|r| Order::Gossip(messages, r)).await
    }

    /// Sends `raw` on a new sync stream to `peer` and returns every byte
    /// it answered (or why the stream failed).
    pub async fn sync(&self, peer: PeerId, raw: Vec<u8>) -> Result<Vec<u8>, String> {
        self.ask(|r| Order::Sync(peer, raw, r)).await
    }

    /// Peers connected now.
    pub async fn connected(&self) -> Vec<PeerId> {
        self.ask(Order::Connected).await
    }

    /// Whether `peer` is connected and subscribed to the topic.
    pub async fn sees_subscribed(&self, peer: PeerId) -> bool {
        self.ask(|r| Order::Subscribed(peer, r)).await
    }

    /// Every gossip message received so far (data).
    pub async fn heard(&self) -> Vec<Vec<u8>> {
        self.ask(Order::Heard).await
    }

    /// Stops it.
    pub fn stop(self) {
        self.task.abort();
    }
}

async fn run(mut swarm: Swarm<Behaviour>, topic: IdentTopic, mut inbox: mpsc::Receiver<Order>) {
    let mut pending = std::collections::HashMap::new();
    let mut heard = Vec::new();
    loop {
        tokio::select! {
            event = swarm.select_next_some() => match event {
                SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Message {
                    message, ..
                })) => heard.push(message.data),
                SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => {
                    answered(event, &mut pending);
                }
                _ => {}
            },
            order = inbox.recv() => match order {
                Some(order) => obey(&mut swarm, &topic, order, &mut pending, &heard),
                None => return,
            },
        }
    }
}

type Answers = std::collections::HashMap<
    request_response::OutboundRequestId,
    oneshot::Sender<Result<Vec<u8>, String>>,
>;

fn answered(event: request_response::Event<Vec<u8>, Vec<u8>>, pending: &mut Answers) {
    match event {
        request_response::Event::Message {
            message:
                request_response::Message::Response {
                    request_id,
                    response,
                },
            ..
        } => {
            if let Some(reply) = pending.remove(&request_id) {
                let _ = reply.send(Ok(response));
            }
        }
        request_response::Event::OutboundFailure {
            request_id, error, ..
        } => {
            if let Some(reply) = pending.remove(&request_id) {
                let _ = reply.send(Err(error.to_string()));
            }
        }
        // Requests from the node are never answered.
        _ => {}
    }
}

fn obey(
    swarm: &mut Swarm<Behaviour>,
    topic: &IdentTopic,
    order: Order,
    pending: &mut Answers,
    heard: &[Vec<u8>],
) {
    match order {
        Order::Dial(addr, reply) => {
            let _ = reply.send(swarm.dial(addr).map_err(|e| e.to_string()));
        }
        Order::Gossip(messages, reply) => {
            let gossip = &mut swarm.behaviour_mut().gossip;
            let taken = messages
                .into_iter()
                .filter(|m| gossip.publish(topic.clone(), m.clone()).is_ok())
                .count();
            let _ = reply.send(taken);
        }
        Order::Sync(peer, raw, reply) => {
            let id = swarm.behaviour_mut().sync.send_request(&peer, raw);
            pending.insert(id, reply);
        }
        Order::Connected(reply) => {
            let _ = reply.send(swarm.connected_peers().copied().collect());
        }
        Order::Subscribed(peer, reply) => {
            let hash = topic.hash();
            let subscribed = swarm
                .behaviour()
                .gossip
                .all_peers()
                .any(|(p, topics)| *p == peer && topics.contains(&&hash));
            let _ = reply.send(subscribed);
        }
        Order::Heard(reply) => {
            let _ = reply.send(heard.to_vec());
        }
    }
}

/// Opens `n` TCP connections to `target` from the address `from` (any
/// address of 127.0.0.0/8 on loopback) that never send a byte. They stay
/// open until dropped, or until the node closes them.
pub async fn idle_sockets(
    target: SocketAddr,
    from: IpAddr,
    n: usize,
) -> Vec<tokio::net::TcpStream> {
    let mut sockets = Vec::with_capacity(n);
    for _ in 0..n {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind(SocketAddr::new(from, 0)).expect("bind");
        if let Ok(stream) = socket.connect(target).await {
            sockets.push(stream);
        }
    }
    sockets
}

/// How many of `sockets` the other side has closed (a read finds the end
/// of the stream or an error, rather than nothing to read yet).
pub fn closed(sockets: &[tokio::net::TcpStream]) -> usize {
    let mut byte = [0u8; 1];
    sockets
        .iter()
        .filter(|socket| match socket.try_read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        })
        .count()
}
