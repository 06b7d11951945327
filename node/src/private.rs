//! Files only the node's operator may read. The data directory is 0700;
//! the key, the store (it holds password, session and token hashes and
//! CSRF tokens; SQLite gives its `-wal` and `-shm` files the store's
//! mode), the control socket and a genesis file holding the network key
//! are 0600. They are created so from the start, and a node whose files
//! are looser (made by an older version, or copied) tightens them on start
//! and says so in its log.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::config::STORE_FILE;

/// The data directory's mode.
pub const DIR_MODE: u32 = 0o700;
/// A secret-bearing file's mode.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its parents) if missing, the last 0700.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    match fs::DirBuilder::new().mode(DIR_MODE).create(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        other => other,
    }
}

/// Creates `path` empty and 0600 if it does not exist, so that what is
/// written to it later (SQLite's pages) is never readable by others.
pub fn create_file(path: &Path) -> io::Result<()> {
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop),
    }
}

/// Writes `text` to `path` (replacing it) with mode 0600.
pub fn write_file(path: &Path, text: &str) -> io::Result<()> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    // `mode` applies to new files only.
    file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Takes group and other permissions off `path` if it has any, returning
/// its mode before when it changed anything.
pub fn tighten(path: &Path, mode: u32) -> io::Result<Option<u32>> {
    let before = match fs::metadata(path) {
        Ok(meta) => meta.permissions().mode() & 0o777,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if before & 0o077 == 0 {
        return Ok(None);
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    Ok(Some(before))
}

/// Tightens the data directory and the store's files, logging each
/// change; a file it cannot change is logged too, and the node goes on.
pub fn tighten_data_dir(dir: &Path) {
    let store = dir.join(STORE_FILE);
    let wal = dir.join(format!("{STORE_FILE}-wal"));
    let shm = dir.join(format!("{STORE_FILE}-shm"));
    let paths = [
        (dir, DIR_MODE),
        (store.as_path(), FILE_MODE),
        (wal.as_path(), FILE_MODE),
        (shm.as_path(), FILE_MODE),
    ];
    for (path, mode) in paths {
        tighten_logged(path, mode);
    }
}

/// [`tighten`], saying what it did (or could not do) in the log.
pub fn tighten_logged(path: &Path, mode: u32) {
    match tighten(path, mode) {
        Ok(Some(before)) => tracing::warn!(
            path = %path.display(),
            "was readable by other users (mode {before:o}); now {mode:o}"
        ),
        Ok(None) => {}
        Err(e) => tracing::error!(
            path = %path.display(),
            "is readable by other users and could not be changed: {e}"
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_and_files_are_private_from_the_start() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b/node");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), DIR_MODE);
        create_dir(&dir).unwrap();
        let file = dir.join("x");
        create_file(&file).unwrap();
        assert_eq!(mode(&file), FILE_MODE);
        let written = dir.join("y");
        fs::write(&written, "old").unwrap();
        fs::set_permissions(&written, fs::Permissions::from_mode(0o644)).unwrap();
        write_file(&written, "new").unwrap();
        assert_eq!(mode(&written), FILE_MODE);
        assert_eq!(fs::read_to_string(&written).unwrap(), "new");
    }

    #[test]
    fn loose_files_are_tightened_and_private_ones_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("node");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let store = dir.join(STORE_FILE);
        fs::write(&store, "").unwrap();
        fs::set_permissions(&store, fs::Permissions::from_mode(0o644)).unwrap();
        let wal = dir.join(format!("{STORE_FILE}-wal"));
        fs::write(&wal, "").unwrap();
        fs::set_permissions(&wal, fs::Permissions::from_mode(0o600)).unwrap();

        assert_eq!(tighten(&store, FILE_MODE).unwrap(), Some(0o644));
        assert_eq!(tighten(&wal, FILE_MODE).unwrap(), None);
        assert_eq!(tighten(&dir.join("absent"), FILE_MODE).unwrap(), None);
        tighten_data_dir(&dir);
        assert_eq!(mode(&dir), DIR_MODE);
        assert_eq!(mode(&store), FILE_MODE);
        assert_eq!(mode(&wal), FILE_MODE);
    }
}
