//! A host directory tree as the staging tests compare it.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One entry: kind ('d' directory, 'f' regular file, 'l' symlink, 'o' any
/// other type), permission bits (0 for a symlink), mtime, and the contents
/// (file bytes or symlink target; nothing for the rest).
#[derive(PartialEq, Eq, Debug)]
pub struct Entry {
    pub kind: char,
    pub perm: u32,
    pub mtime: (i64, i64),
    pub data: Vec<u8>,
}

/// Everything under `root` (not following symlinks), by relative path.
pub fn host_tree(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let m = std::fs::symlink_metadata(&path).unwrap();
            let t = m.file_type();
            let (kind, data) = if t.is_dir() {
                todo.push(path.clone());
                ('d', Vec::new())
            } else if t.is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                ('l', target.as_os_str().as_bytes().to_vec())
            } else if t.is_file() {
                ('f', std::fs::read(&path).unwrap())
            } else {
                ('o', Vec::new())
            };
            let perm = if kind == 'l' { 0 } else { m.mode() & 0o7777 };
            out.insert(
                path.strip_prefix(root).unwrap().to_path_buf(),
                Entry {
                    kind,
                    perm,
                    mtime: (m.mtime(), m.mtime_nsec()),
                    data,
                },
            );
        }
    }
    out
}
