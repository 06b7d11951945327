//! The federation genesis file (TOML): written by `coopnet federation
//! create`, read by every member's node.

use std::path::Path;

use coopnet_protocol::federation::Genesis;

/// Why the genesis file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// The file is missing or unreadable.
    #[error("cannot read the federation file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file could not be written.
    #[error("cannot write the federation file {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a genesis document.
    #[error("{path} is not a coopnet federation file: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads and checks a genesis file; its `id` line, if present, must match.
pub fn load(path: &Path) -> Result<Genesis, GenesisError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| GenesisError::Read {
        path: shown.clone(),
        source,
    })?;
    let invalid = |message: String| GenesisError::Invalid {
        path: shown.clone(),
        message,
    };
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let stated_id = table.remove("id");
    let genesis: Genesis = table
        .try_into()
        .map_err(|e: toml::de::Error| invalid(e.to_string()))?;
    genesis.check().map_err(|e| invalid(e.to_string()))?;
    if let Some(stated) = stated_id
        && stated.as_str() != Some(&genesis.id().to_string())
    {
        return Err(invalid(
            "its id does not match its contents: it was edited or damaged".into(),
        ));
    }
    Ok(genesis)
}

/// Writes `genesis` with comments and its id.
pub fn save(genesis: &Genesis, path: &Path) -> Result<(), GenesisError> {
    let shown = path.display().to_string();
    let body = toml::to_string(genesis).map_err(|e| GenesisError::Invalid {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let text = format!(
        "# coopnet federation genesis. Give this file to every member co-op.\n\
         # Do not edit it: its id is a hash of its contents, and an edited file\n\
         # defines a different federation.{secret}\n\
         id = \"{id}\"\n{body}",
        id = genesis.id(),
        secret = if genesis.network_key.is_some() {
            "\n# It holds the network key: share it only with members."
        } else {
            ""
        },
    );
    // With the network key, only its owner may read it.
    let written = match genesis.network_key {
        Some(_) => crate::private::write_file(path, &text),
        None => std::fs::write(path, text),
    };
    written.map_err(|source| GenesisError::Write {
        path: shown,
        source,
    })
}

/// Prefix of a join code.
const JOIN_PREFIX: &str = "coopnet1:";

/// The code a new co-op gives a coordinator to be admitted: its key and
/// name, as `coopnet1:<key>:<name>`.
pub fn join_code(key: &coopnet_protocol::PublicKey, name: &str) -> String {
    format!("{JOIN_PREFIX}{key}:{name}")
}

/// Reads a join code back into a key and a name.
pub fn parse_join_code(code: &str) -> Result<(coopnet_protocol::PublicKey, String), String> {
    let bad = || {
        format!("{code:?} is not a join code (coopnet1:<key>:<name>, as `coopnet init` prints it)")
    };
    let rest = code.trim().strip_prefix(JOIN_PREFIX).ok_or_else(bad)?;
    let (key, name) = rest.split_once(':').ok_or_else(bad)?;
    let key = key.parse().map_err(|e| format!("{}: {e}", bad()))?;
    if name.trim().is_empty() {
        return Err(bad());
    }
    Ok((key, name.to_owned()))
}

#[cfg(test)]
mod tests {
    use coopnet_protocol::federation::NetworkKey;
    use coopnet_protocol::{Timestamp, samples};

    use super::*;

    fn genesis() -> Genesis {
        Genesis {
            name: "CoTech \"North\"".into(),
            coordinators: vec![samples::secret(1).public()],
            bootstrap: vec!["/ip4/127.0.0.1/tcp/4001".into()],
            created_at: Timestamp(1_795_435_200_000),
            network_key: Some(NetworkKey([7; 32])),
        }
    }

    #[test]
    fn a_saved_genesis_loads_back_with_the_same_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("federation.toml");
        save(&genesis(), &path).unwrap();
        assert_eq!(load(&path).unwrap().id(), genesis().id());
        // It holds the network key: its owner's only.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_join_code_round_trips_and_a_bad_one_says_what_it_should_be() {
        let key = samples::secret(4).public();
        let code = join_code(&key, "Outlandish: a co-op");
        assert_eq!(
            parse_join_code(&code).unwrap(),
            (key, "Outlandish: a co-op".to_owned())
        );
        let err = parse_join_code("hello").unwrap_err();
        assert!(err.contains("coopnet1:<key>:<name>"), "{err}");
    }

    #[test]
    fn an_edited_genesis_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("federation.toml");
        save(&genesis(), &path).unwrap();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("North", "South");
        std::fs::write(&path, text).unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("edited or damaged"), "{err}");
    }
}
