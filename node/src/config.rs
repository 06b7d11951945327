//! The node's configuration file, `config.toml` in the data directory:
//! written, with comments, by `coopnet init`; read by `coopnet run`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Name of the configuration file inside the data directory.
pub const CONFIG_FILE: &str = "config.toml";
/// Name of the SQLite replica inside the data directory.
pub const STORE_FILE: &str = "coopnet.db";

/// Why the configuration could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is missing or unreadable.
    #[error("cannot read {path}: {source} (run `coopnet init` first)")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid configuration.
    #[error("{path} is not a valid coopnet configuration: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What the TOML parser said, with line and column.
        message: String,
    },
}

/// A node's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The co-op's name, shown until it publishes a profile.
    pub name: String,
    /// Peer-to-peer settings.
    #[serde(default)]
    pub network: NetworkConfig,
    /// Web app settings.
    #[serde(default)]
    pub http: HttpConfig,
    /// The federation genesis file, if this node belongs to one (issue 4).
    #[serde(default)]
    pub federation: Option<PathBuf>,
}

/// Seconds between heartbeats by default: at 1,000 co-ops each node
/// receives about 12,000 of them an hour (see the README's figures).
pub const DEFAULT_STATUS_INTERVAL_SECS: u64 = 300;

/// Peer-to-peer settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Multiaddresses to listen on.
    pub listen: Vec<String>,
    /// Multiaddresses of peers to connect to at start (with `/p2p/<peer id>`).
    pub bootstrap: Vec<String>,
    /// Find peers on the local network with mDNS.
    pub mdns: bool,
    /// Gossipsub heartbeat, in milliseconds.
    pub heartbeat_ms: u64,
    /// Seconds between anti-entropy rounds with each connected peer.
    pub sync_interval_secs: u64,
    /// Records of one co-op this node takes by gossip per second (bursts of
    /// twice as many pass); this node gossips its own at half of it.
    pub gossip_per_author: u32,
    /// Gossip messages one peer may send per second (as many may come at
    /// once).
    pub gossip_per_peer: u32,
    /// Seconds between this node's signed heartbeats (`NodeStatus`): its
    /// version, records, peers and last sync, for the network dashboard.
    pub status_interval_secs: u64,
    /// Relay for members behind NAT (circuit relay v2, members only,
    /// limited); useful when this node is publicly reachable.
    pub relay: bool,
    /// Addresses others reach this node at (its public IP and port), if
    /// known; otherwise AutoNAT finds out.
    pub external: Vec<String>,
}

impl NetworkConfig {
    /// The per-author gossip limit.
    pub fn per_author(&self) -> crate::net::limits::Rate {
        let rate = f64::from(self.gossip_per_author.max(1));
        crate::net::limits::Rate::new(rate, rate * 2.0)
    }

    /// The per-peer gossip limit.
    pub fn per_peer(&self) -> crate::net::limits::Rate {
        let rate = f64::from(self.gossip_per_peer.max(1));
        crate::net::limits::Rate::new(rate, rate)
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            listen: vec![
                "/ip4/0.0.0.0/tcp/4001".to_owned(),
                "/ip4/0.0.0.0/udp/4001/quic-v1".to_owned(),
            ],
            bootstrap: Vec::new(),
            mdns: false,
            heartbeat_ms: 1_000,
            sync_interval_secs: 30,
            gossip_per_author: crate::net::limits::PER_AUTHOR.per_second as u32,
            gossip_per_peer: crate::net::limits::PER_PEER.per_second as u32,
            status_interval_secs: DEFAULT_STATUS_INTERVAL_SECS,
            relay: true,
            external: Vec::new(),
        }
    }
}

/// Web app settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address the web app listens on.
    pub address: String,
    /// The address members use, when it differs (behind a TLS proxy):
    /// `https://…` makes the session cookies `Secure`.
    pub public_url: Option<String>,
    /// Proxies in front of the web app whose `X-Forwarded-For` names the
    /// client (log-in throttling counts per client address).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Whether `/metrics` may be read without an API token when the web
    /// app listens on an address other than loopback.
    pub metrics_open: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            address: "127.0.0.1:8080".to_owned(),
            public_url: None,
            trusted_proxies: Vec::new(),
            metrics_open: false,
        }
    }
}

impl HttpConfig {
    /// Whether members reach the web app over HTTPS.
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    fn check(&self) -> Result<(), String> {
        match self.public_url.as_deref() {
            Some(url) if !(url.starts_with("https://") || url.starts_with("http://")) => Err(
                format!("http.public_url must start with https:// or http://, not {url:?}"),
            ),
            _ => Ok(()),
        }
    }
}

impl Config {
    /// A fresh configuration for a co-op called `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            network: NetworkConfig::default(),
            http: HttpConfig::default(),
            federation: None,
        }
    }

    /// Reads `config.toml` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        let path = dir.join(CONFIG_FILE);
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        config.http.check().map_err(|message| ConfigError::Parse {
            path: shown,
            message,
        })?;
        Ok(config)
    }

    /// Writes `config.toml` to `dir`, with a comment on every setting.
    pub fn save(&self, dir: &Path) -> Result<(), ConfigError> {
        let path = dir.join(CONFIG_FILE);
        let write_error = |source| ConfigError::Write {
            path: path.display().to_string(),
            source,
        };
        std::fs::write(&path, self.to_commented_toml()).map_err(write_error)
    }

    /// The configuration as TOML, with comments a person can follow.
    pub fn to_commented_toml(&self) -> String {
        let list = |items: &[String]| toml_value(&items.to_vec());
        let federation = match &self.federation {
            Some(path) => format!("federation = {}", toml_value(&path.display().to_string())),
            None => "# federation = \"/path/to/federation.toml\"".to_owned(),
        };
        format!(
            "# coopnet node configuration. Restart the node after editing.\n\n\
             # The co-op's name, shown until it publishes a profile.\n\
             name = {name}\n\n\
             # The federation genesis file this node belongs to (see `coopnet federation`).\n\
             {federation}\n\n\
             [network]\n\
             # Multiaddresses to listen on for other co-ops' nodes.\n\
             listen = {listen}\n\
             # Peers to connect to at start, e.g. \"/ip4/203.0.113.5/tcp/4001/p2p/12D3KooW…\".\n\
             bootstrap = {bootstrap}\n\
             # Discover peers on the local network (LAN) with mDNS.\n\
             mdns = {mdns}\n\
             # Gossip heartbeat in milliseconds; lower spreads records faster, costs more.\n\
             heartbeat_ms = {heartbeat}\n\
             # Seconds between anti-entropy rounds with each connected peer.\n\
             sync_interval_secs = {sync}\n\
             # Records of one co-op taken by gossip per second (bursts of 2x pass;\n\
             # the rest arrive by sync). This node gossips its own at half of it.\n\
             gossip_per_author = {per_author}\n\
             # Gossip messages one peer may send per second (as many at once).\n\
             gossip_per_peer = {per_peer}\n\
             # Seconds between this node's signed heartbeats (for the network dashboard).\n\
             status_interval_secs = {status}\n\
             # Relay for member nodes behind NAT (when this node is reachable from the internet).\n\
             relay = {relay}\n\
             # Addresses others reach this node at, e.g. \"/ip4/203.0.113.5/tcp/4001\" (else AutoNAT finds out).\n\
             external = {external}\n\n\
             [http]\n\
             # Where the web app listens. Keep it on 127.0.0.1 behind a TLS proxy.\n\
             address = {http}\n\
             # The address members use behind the proxy; https:// makes cookies Secure.\n\
             {public_url}\n\
             # Proxies whose X-Forwarded-For header names the client, e.g. [\"127.0.0.1\"].\n\
             trusted_proxies = {proxies}\n\
             # Serve /metrics without an API token even off loopback (on loopback it always is).\n\
             metrics_open = {metrics_open}\n",
            name = toml_value(&self.name),
            listen = list(&self.network.listen),
            bootstrap = list(&self.network.bootstrap),
            mdns = self.network.mdns,
            heartbeat = self.network.heartbeat_ms,
            sync = self.network.sync_interval_secs,
            per_author = self.network.gossip_per_author,
            per_peer = self.network.gossip_per_peer,
            status = self.network.status_interval_secs,
            relay = self.network.relay,
            external = list(&self.network.external),
            metrics_open = self.http.metrics_open,
            http = toml_value(&self.http.address),
            public_url = match &self.http.public_url {
                Some(url) => format!("public_url = {}", toml_value(url)),
                None => "# public_url = \"https://coopnet.example.coop\"".to_owned(),
            },
            proxies = toml_value(&self.http.trusted_proxies),
        )
    }
}

/// A value in TOML syntax (strings quoted and escaped).
fn toml_value<T: Serialize>(value: &T) -> String {
    toml::Value::try_from(value)
        .map(|v| v.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commented_file_reads_back_as_the_same_config() {
        let mut config = Config::new("Quote \" and \\ backslash Co-op");
        config.network.bootstrap = vec!["/ip4/127.0.0.1/tcp/4001".into()];
        config.federation = Some(PathBuf::from("/tmp/fed.toml"));
        let dir = tempfile::tempdir().unwrap();
        config.save(dir.path()).unwrap();
        assert_eq!(Config::load(dir.path()).unwrap(), config);
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap();
        assert!(text.contains("# Where the web app listens"));
        assert!(text.contains("# public_url = "));

        config.http.public_url = Some("https://coopnet.example.coop".into());
        config.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
        config.save(dir.path()).unwrap();
        let loaded = Config::load(dir.path()).unwrap();
        assert_eq!(loaded, config);
        assert!(loaded.http.is_https());
    }

    #[test]
    fn a_public_url_must_be_http_or_https_and_proxies_addresses() {
        let dir = tempfile::tempdir().unwrap();
        for (http, wrong) in [
            ("public_url = \"ftp://x\"", "public_url"),
            ("trusted_proxies = [\"proxy.local\"]", "trusted_proxies"),
        ] {
            std::fs::write(
                dir.path().join(CONFIG_FILE),
                format!("name = \"x\"\n[http]\n{http}\n"),
            )
            .unwrap();
            let err = Config::load(dir.path()).unwrap_err().to_string();
            assert!(err.contains(wrong), "{err}");
        }
    }

    #[test]
    fn a_typo_in_a_setting_is_reported_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "name = \"x\"\n[network]\nlisten_on = []\n",
        )
        .unwrap();
        let err = Config::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("listen_on"), "{err}");
    }
}
