//! The co-op's identity on disk: one ed25519 secret key, file mode 0600.
//!
//! The same key signs every record the co-op publishes and is the node's
//! libp2p identity, so the co-op's PeerId and its record author agree.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use coopnet_protocol::SecretKey;

/// Name of the key file inside the data directory.
pub const KEY_FILE: &str = "identity.key";

/// Why the identity could not be created or loaded.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// `init` found a key already there and will not overwrite it.
    #[error(
        "{0} already holds an identity; refusing to overwrite it (move it away to start afresh)"
    )]
    Exists(String),
    /// The key file is missing or unreadable.
    #[error("cannot read the identity at {path}: {source} (run `coopnet init` first)")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file could not be written.
    #[error("cannot write the identity at {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file is not 64 hex characters.
    #[error("{0} is not a coopnet identity (expected 64 hex characters)")]
    Malformed(String),
    /// Others can read the key file.
    #[error("{path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`")]
    TooOpen {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
}

/// Creates a new key in `dir`, refusing to overwrite an existing one.
pub fn create(dir: &Path) -> Result<SecretKey, IdentityError> {
    let path = dir.join(KEY_FILE);
    let shown = path.display().to_string();
    let secret = SecretKey::generate(&mut rand_core::OsRng);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => IdentityError::Exists(shown.clone()),
            _ => IdentityError::Write {
                path: shown.clone(),
                source,
            },
        })?;
    let text = zeroize::Zeroizing::new(hex_seed(&secret));
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| IdentityError::Write {
            path: shown,
            source,
        })?;
    Ok(secret)
}

/// Loads the key from `dir`, refusing a file others can read.
pub fn load(dir: &Path) -> Result<SecretKey, IdentityError> {
    let path = dir.join(KEY_FILE);
    let shown = path.display().to_string();
    let read_error = |source| IdentityError::Read {
        path: shown.clone(),
        source,
    };
    let mode = fs::metadata(&path)
        .map_err(read_error)?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(IdentityError::TooOpen { path: shown, mode });
    }
    let text = zeroize::Zeroizing::new(fs::read_to_string(&path).map_err(read_error)?);
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text.trim(), seed.as_mut_slice())
        .map_err(|_| IdentityError::Malformed(shown))?;
    Ok(SecretKey::from_seed(&seed))
}

fn hex_seed(secret: &SecretKey) -> String {
    hex::encode(secret.to_seed().as_slice()) + "\n"
}

/// The libp2p keypair for the same secret.
pub fn libp2p_keypair(secret: &SecretKey) -> libp2p::identity::Keypair {
    let mut seed = secret.to_seed();
    // NOTE: `ed25519_from_bytes` zeroes the buffer it is given; a 32-byte
    // seed is always a valid ed25519 secret, so this cannot fail.
    libp2p::identity::Keypair::ed25519_from_bytes(seed.as_mut_slice())
        .unwrap_or_else(|_| unreachable!("a 32-byte seed is a valid ed25519 secret key"))
}

/// The coopnet key of a libp2p peer, if it is an ed25519 peer.
pub fn coop_key_of(peer: &libp2p::PeerId) -> Option<coopnet_protocol::PublicKey> {
    let multihash = peer.as_ref();
    // An identity multihash of the protobuf-encoded public key:
    // 0x08 0x01 (KeyType = Ed25519) 0x12 0x20 (32 bytes) then the key.
    let digest = multihash.digest();
    let key = digest.strip_prefix(&[0x08, 0x01, 0x12, 0x20])?;
    coopnet_protocol::PublicKey::from_bytes(key.try_into().ok()?).ok()
}

/// The libp2p PeerId of a coopnet key.
pub fn peer_id_of(key: &coopnet_protocol::PublicKey) -> Option<libp2p::PeerId> {
    let public = libp2p::identity::ed25519::PublicKey::try_from_bytes(key.as_bytes()).ok()?;
    Some(libp2p::PeerId::from_public_key(&public.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_is_private_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let secret = create(dir.path()).unwrap();
        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load(dir.path()).unwrap().public(), secret.public());
    }

    #[test]
    fn create_refuses_to_overwrite_an_identity() {
        let dir = tempfile::tempdir().unwrap();
        let first = create(dir.path()).unwrap();
        assert!(matches!(create(dir.path()), Err(IdentityError::Exists(_))));
        assert_eq!(load(dir.path()).unwrap().public(), first.public());
    }

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            load(dir.path()),
            Err(IdentityError::TooOpen { .. })
        ));
    }

    #[test]
    fn the_peer_id_and_the_coop_key_are_the_same_key() {
        let secret = SecretKey::from_seed(&[9; 32]);
        let peer = libp2p_keypair(&secret).public().to_peer_id();
        assert_eq!(coop_key_of(&peer), Some(secret.public()));
        assert_eq!(peer_id_of(&secret.public()), Some(peer));
    }
}
