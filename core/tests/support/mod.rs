//! Shared machinery of the randomized tests: the operations, the universe of
//! names they draw from, the outcomes they produce, and a runner that applies
//! one sequence to two implementations in lock step and compares everything.
//!
//! Three implementations speak the [`Driver`] interface: [`model::Model`]
//! (a plain reference written from the POSIX/Linux rules), [`core_fs::CoreFs`]
//! (imfs-core) and [`host::HostFs`] (a real tmpfs directory under /dev/shm).
#![allow(dead_code)]

pub mod core_fs;
pub mod host;
pub mod model;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

pub use imfs_core::flags::*;

/// Identifies one open file description across drivers (each maps it to its own handle).
pub type Slot = u32;

/// One operation. Paths, targets and handles are indices (resolved through
/// [`Env`]) so proptest shrinks them into small, readable cases.
#[derive(Clone, Debug)]
pub enum Op {
    Open {
        base: Option<u8>,
        path: usize,
        flags: u32,
        mode: u32,
    },
    Close {
        h: u8,
    },
    Read {
        h: u8,
        len: usize,
    },
    Write {
        h: u8,
        fill: u8,
        len: usize,
    },
    Pread {
        h: u8,
        len: usize,
        off: u64,
    },
    Pwrite {
        h: u8,
        fill: u8,
        len: usize,
        off: u64,
    },
    Lseek {
        h: u8,
        off: i64,
        whence: u32,
    },
    Ftruncate {
        h: u8,
        len: i64,
    },
    Fstat {
        h: u8,
    },
    Fchmod {
        h: u8,
        mode: u32,
    },
    /// Rewinds the directory and lists it whole.
    Readdir {
        h: u8,
    },
    /// Lists up to `n` more entries from the current cookie (model test only).
    ReaddirSome {
        h: u8,
        n: usize,
    },
    Stat {
        base: Option<u8>,
        path: usize,
        follow: bool,
    },
    Access {
        base: Option<u8>,
        path: usize,
        mode: u32,
    },
    Truncate {
        base: Option<u8>,
        path: usize,
        len: i64,
    },
    Mkdir {
        base: Option<u8>,
        path: usize,
        mode: u32,
    },
    Rmdir {
        base: Option<u8>,
        path: usize,
    },
    Unlink {
        base: Option<u8>,
        path: usize,
    },
    Link {
        old_base: Option<u8>,
        old: usize,
        new_base: Option<u8>,
        new: usize,
        follow: bool,
    },
    Symlink {
        target: usize,
        base: Option<u8>,
        path: usize,
    },
    Readlink {
        base: Option<u8>,
        path: usize,
        len: usize,
    },
    Rename {
        old_base: Option<u8>,
        old: usize,
        new_base: Option<u8>,
        new: usize,
        flags: u32,
    },
    Chmod {
        base: Option<u8>,
        path: usize,
        mode: u32,
    },
    /// open(O_RDONLY) + pread of up to [`READ_FILE_MAX`] bytes + close.
    ReadFile {
        path: usize,
    },
    /// A second slot on the same description (dup, fork).
    Dup {
        h: u8,
    },
    /// fcntl(F_GETFL) and fcntl(F_SETFL).
    GetFl {
        h: u8,
    },
    SetFl {
        h: u8,
        flags: u32,
    },
    /// getcwd of a directory description (skipped for other kinds).
    PathOf {
        h: u8,
    },
}

/// How much of a file [`Op::ReadFile`] reads.
pub const READ_FILE_MAX: usize = 1 << 16;

impl Op {
    /// The handle the operation works on, if it needs one.
    fn handle(&self) -> Option<u8> {
        use Op::*;
        match *self {
            Close { h }
            | Read { h, .. }
            | Write { h, .. }
            | Pread { h, .. }
            | Pwrite { h, .. }
            | Lseek { h, .. }
            | Ftruncate { h, .. }
            | Fstat { h }
            | Fchmod { h, .. }
            | Readdir { h }
            | ReaddirSome { h, .. }
            | Dup { h }
            | GetFl { h }
            | SetFl { h, .. }
            | PathOf { h } => Some(h),
            _ => None,
        }
    }
}

/// The names, symlink targets and sizes a test draws from.
pub struct Universe {
    pub paths: Vec<Vec<u8>>,
    pub targets: Vec<Vec<u8>>,
    /// Largest write or read length.
    pub max_len: usize,
    /// Offsets and lengths are mostly below this.
    pub max_off: u64,
    /// Extra offsets worth hitting (around the maximum file size).
    pub edge_offsets: Vec<u64>,
    /// Extra lseek offsets worth hitting.
    pub seek_edges: Vec<i64>,
    /// Whether ops only the model test can check are generated.
    pub model_only_ops: bool,
}

/// A name longer than NAME_MAX (255).
pub fn long_name() -> Vec<u8> {
    vec![b'L'; 256]
}

/// Paths over five names, one to three deep, with only d and e nested
/// under: few enough that collisions (EEXIST, ENOTEMPTY, ENOTDIR...) happen
/// all the time, enough that the tiny pools fill up.
/// Indices: 0..5 one deep, 5..15 two deep, 15..27 three deep.
fn nested_paths() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for a in ["a", "b", "c", "d", "e"] {
        out.push(a.into());
    }
    for d in ["d", "e"] {
        for a in ["a", "b", "c", "d", "e"] {
            out.push(format!("{d}/{a}").into());
        }
    }
    for d in ["d", "e"] {
        for e in ["d", "e"] {
            for a in ["a", "b", "d"] {
                out.push(format!("{d}/{e}/{a}").into());
            }
        }
    }
    out
}

fn bytes(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|s| s.as_bytes().to_vec()).collect()
}

/// A symlink target taking two 512-byte chunks that resolves to "a".
pub fn long_target() -> Vec<u8> {
    let mut t = b"./".repeat(300);
    t.push(b'a');
    t
}

impl Universe {
    /// For the model test: tiny pools, absolute paths, ".." at the root, huge offsets.
    pub fn for_model(max_file_size: u64) -> Universe {
        let mut paths = nested_paths();
        paths.extend(bytes(&[
            "", ".", "/", "/a", "/d/b", "d/..", "d/../b", "a/", "d/", "d/a/", "./a", "d//b", "/..",
            "/../a", "d/d/",
        ]));
        paths.push(long_name());
        let mut d_long = b"d/".to_vec();
        d_long.extend(long_name());
        paths.push(d_long);
        let mut targets = bytes(&[
            "a", "b", "d", "d/a", "/a", "/d", "..", "../a", "x", ".", "a/", "d/../d/b", "d/d",
        ]);
        targets.push(long_target());
        targets.push(long_name());
        Universe {
            paths,
            targets,
            max_len: 2500,
            max_off: 3000,
            edge_offsets: vec![
                max_file_size - 100,
                max_file_size - 1,
                max_file_size,
                max_file_size + 7,
            ],
            seek_edges: vec![
                i64::MAX,
                i64::MIN,
                max_file_size as i64,
                max_file_size as i64 + 1,
            ],
            model_only_ops: true,
        }
    }

    /// For comparing with a host directory: relative paths that never climb
    /// above the scratch directory, offsets below the maximum file size.
    pub fn for_host() -> Universe {
        let mut paths = nested_paths();
        // No "..": a symlink to "." would let it climb out of the scratch directory.
        paths.extend(bytes(&[
            "", ".", "a/", "d/", "d/a/", "./a", "d//b", "d/d/", "d/./b",
        ]));
        paths.push(long_name());
        let mut targets = bytes(&["a", "b", "d", "d/a", "x", ".", "a/", "d/./b", "d/d"]);
        targets.push(long_target());
        targets.push(long_name());
        Universe {
            paths,
            targets,
            max_len: 9000,
            max_off: 40_000,
            edge_offsets: vec![],
            // imfs caps offsets at its maximum file size as Linux does at a
            // filesystem's s_maxbytes; tmpfs's is larger, so stay below both.
            seek_edges: vec![i64::MIN],
            model_only_ops: false,
        }
    }

    pub fn ops(self: &std::sync::Arc<Self>, len: std::ops::Range<usize>) -> BoxedStrategy<Vec<Op>> {
        prop::collection::vec(op_strategy(self), len).boxed()
    }
}

fn modes() -> impl Strategy<Value = u32> + Clone {
    prop::sample::select(vec![
        0o644, 0o755, 0o600, 0o777, 0o1777, 0o000, 0o4755, 0o2755, 0o444,
    ])
}

fn open_flags() -> impl Strategy<Value = u32> {
    let bit = |p: f64, f: u32| prop::bool::weighted(p).prop_map(move |on| if on { f } else { 0 });
    (
        prop::sample::select(vec![O_RDONLY, O_WRONLY, O_RDWR]),
        bit(0.7, O_CREAT),
        bit(0.15, O_EXCL),
        bit(0.2, O_TRUNC),
        bit(0.2, O_APPEND),
        bit(0.1, O_DIRECTORY),
        bit(0.1, O_NOFOLLOW),
        bit(0.08, O_PATH),
    )
        .prop_map(|(a, b, c, d, e, f, g, h)| a | b | c | d | e | f | g | h)
}

fn op_strategy(u: &std::sync::Arc<Universe>) -> BoxedStrategy<Op> {
    let np = u.paths.len();
    let nt = u.targets.len();
    // Mostly shallow names, so that state builds up and names collide.
    let path = move || {
        prop_oneof![
            8 => 0..5usize,
            6 => 5..15usize,
            2 => 15..27usize,
            2 => 27..np,
        ]
    };
    let base = || prop_oneof![3 => Just(None), 1 => any::<u8>().prop_map(Some)];
    let h = any::<u8>;
    let len = 0..=u.max_len;
    let max_off = u.max_off;
    let mut offs = vec![(0..max_off).boxed()];
    for &e in &u.edge_offsets {
        offs.push(Just(e).boxed());
    }
    let off = || {
        let offs = offs.clone();
        prop::strategy::Union::new_weighted(
            offs.into_iter()
                .enumerate()
                .map(|(i, s)| (if i == 0 { 30 } else { 1 }, s))
                .collect(),
        )
    };
    let mut lens = vec![(-1i64..max_off as i64).boxed()];
    for &e in &u.edge_offsets {
        lens.push(Just(e as i64).boxed());
    }
    let trunc_len = || {
        let lens = lens.clone();
        prop::strategy::Union::new_weighted(
            lens.into_iter()
                .enumerate()
                .map(|(i, s)| (if i == 0 { 30 } else { 1 }, s))
                .collect(),
        )
    };
    let seek_off = prop_oneof![
        8 => -5i64..(max_off as i64),
        1 => prop::sample::select(u.seek_edges.clone()),
    ];
    let rename_flags = prop::sample::select(vec![
        0,
        0,
        RENAME_NOREPLACE,
        RENAME_EXCHANGE,
        RENAME_NOREPLACE | RENAME_EXCHANGE,
    ]);
    let model_only = u.model_only_ops;
    let mut s = prop_oneof![
        12 => (base(), path(), open_flags(), modes())
            .prop_map(|(base, path, flags, mode)| Op::Open { base, path, flags, mode }),
        4 => h().prop_map(|h| Op::Close { h }),
        3 => (h(), len.clone()).prop_map(|(h, len)| Op::Read { h, len }),
        5 => (h(), any::<u8>(), len.clone()).prop_map(|(h, fill, len)| Op::Write { h, fill, len }),
        3 => (h(), len.clone(), off()).prop_map(|(h, len, off)| Op::Pread { h, len, off }),
        5 => (h(), any::<u8>(), len.clone(), off())
            .prop_map(|(h, fill, len, off)| Op::Pwrite { h, fill, len, off }),
        3 => (h(), seek_off, 0u32..6).prop_map(|(h, off, whence)| Op::Lseek { h, off, whence }),
        2 => (h(), trunc_len()).prop_map(|(h, len)| Op::Ftruncate { h, len }),
        1 => h().prop_map(|h| Op::Fstat { h }),
        1 => (h(), modes()).prop_map(|(h, mode)| Op::Fchmod { h, mode }),
        2 => h().prop_map(|h| Op::Readdir { h }),
        3 => (base(), path(), any::<bool>())
            .prop_map(|(base, path, follow)| Op::Stat { base, path, follow }),
        1 => (base(), path(), 0u32..8).prop_map(|(base, path, mode)| Op::Access { base, path, mode }),
        2 => (base(), path(), trunc_len()).prop_map(|(base, path, len)| Op::Truncate { base, path, len }),
        5 => (base(), path(), modes()).prop_map(|(base, path, mode)| Op::Mkdir { base, path, mode }),
        3 => (base(), path()).prop_map(|(base, path)| Op::Rmdir { base, path }),
        4 => (base(), path()).prop_map(|(base, path)| Op::Unlink { base, path }),
        3 => (base(), path(), base(), path(), prop::bool::weighted(0.2)).prop_map(
            |(old_base, old, new_base, new, follow)| Op::Link { old_base, old, new_base, new, follow }
        ),
        3 => (0..nt, base(), path()).prop_map(|(target, base, path)| Op::Symlink { target, base, path }),
        2 => (base(), path(), prop::sample::select(vec![0usize, 1, 3, 1000]))
            .prop_map(|(base, path, len)| Op::Readlink { base, path, len }),
        5 => (base(), path(), base(), path(), rename_flags).prop_map(
            |(old_base, old, new_base, new, flags)| Op::Rename { old_base, old, new_base, new, flags }
        ),
        1 => (base(), path(), modes()).prop_map(|(base, path, mode)| Op::Chmod { base, path, mode }),
        2 => path().prop_map(|path| Op::ReadFile { path }),
        2 => h().prop_map(|h| Op::Dup { h }),
        1 => h().prop_map(|h| Op::GetFl { h }),
        1 => (h(), prop::sample::select(vec![
            0,
            O_APPEND,
            O_NONBLOCK,
            O_APPEND | O_NONBLOCK,
            O_RDWR | O_APPEND,
            O_NOATIME | O_APPEND,
            O_SYNC,
        ]))
        .prop_map(|(h, flags)| Op::SetFl { h, flags }),
        1 => h().prop_map(|h| Op::PathOf { h }),
    ]
    .boxed();
    if model_only {
        s = prop_oneof![20 => s, 1 => (h(), 0usize..4).prop_map(|(h, n)| Op::ReaddirSome { h, n })]
            .boxed();
    }
    s
}

/// Stat fields every implementation can be compared on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatView {
    /// `S_IFMT` bits.
    pub kind: u32,
    /// The 0o7777 bits.
    pub perm: u32,
    pub nlink: u32,
    /// Not compared for directories (tmpfs reports a made-up size).
    pub size: Option<u64>,
    /// 512-byte blocks; compared only where both sides report it.
    pub blocks: Option<u64>,
    /// Compared as a partition (which paths share a node), never by value.
    pub ino: u64,
}

impl StatView {
    pub fn from_mode(mode: u32, nlink: u32, size: u64, blocks: u64, ino: u64) -> StatView {
        let kind = mode & S_IFMT;
        StatView {
            kind,
            perm: mode & S_IALLUGO,
            nlink,
            size: (kind != S_IFDIR).then_some(size),
            blocks: Some(blocks),
            ino,
        }
    }

    fn same(&self, other: &StatView) -> bool {
        let opt = |a: Option<u64>, b: Option<u64>| a.is_none() || b.is_none() || a == b;
        self.kind == other.kind
            && self.perm == other.perm
            && self.nlink == other.nlink
            && opt(self.size, other.size)
            && opt(self.blocks, other.blocks)
    }
}

/// A directory entry: name and `DT_*` kind.
pub type Entry = (Vec<u8>, u8);

/// What an operation produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Done,
    Opened,
    Count(u64),
    Bytes(Vec<u8>),
    Stat(StatView),
    Entries(BTreeSet<Entry>),
    /// The model's answer to a partial readdir: names present throughout the
    /// listing (must come exactly once by its end) and names that ever existed.
    Listing {
        stable: BTreeSet<Vec<u8>>,
        ever: BTreeSet<Vec<u8>>,
        n: usize,
    },
    /// A real implementation's answer to a partial readdir.
    Seen(Vec<Vec<u8>>),
    Err(i32),
    Skipped,
}

/// Pool use, as `Fs::usage()` reports it: nodes (root included), dirents, chunks, open files.
pub type Counts = [u32; 4];

/// Resolves an op's indices for a driver.
pub struct Env<'a> {
    pub u: &'a Universe,
    pub handles: &'a [Slot],
    /// The slot a successful open fills.
    pub new_slot: Slot,
}

impl Env<'_> {
    pub fn path(&self, i: usize) -> &[u8] {
        &self.u.paths[i]
    }
    pub fn target(&self, i: usize) -> &[u8] {
        &self.u.targets[i]
    }
    pub fn handle(&self, sel: u8) -> Slot {
        self.handles[sel as usize % self.handles.len()]
    }
    pub fn base(&self, sel: Option<u8>) -> Option<Slot> {
        sel.filter(|_| !self.handles.is_empty())
            .map(|s| self.handle(s))
    }
}

/// One implementation under comparison.
pub trait Driver {
    fn name(&self) -> &'static str;
    fn apply(&mut self, op: &Op, env: &Env) -> Outcome;
    /// lstat of `path` from the root, and fstat of an open slot.
    fn lstat(&mut self, path: &[u8]) -> Result<StatView, i32>;
    fn fstat_slot(&mut self, slot: Slot) -> Result<StatView, i32>;
    /// Internal invariants (the core's fsck); Err describes the breakage.
    fn check(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Pool use, where the implementation has pools.
    fn usage(&self) -> Option<Counts> {
        None
    }
}

fn show(b: &[u8]) -> String {
    if b.len() > 40 {
        format!(
            "{:?}...({} bytes)",
            String::from_utf8_lossy(&b[..20]),
            b.len()
        )
    } else {
        format!("{:?}", String::from_utf8_lossy(b))
    }
}

/// Formats an op with its paths spelled out.
pub fn describe(op: &Op, u: &Universe) -> String {
    let p = |i: usize| show(&u.paths[i]);
    use Op::*;
    match op {
        Open {
            base,
            path,
            flags,
            mode,
        } => format!("open(base={base:?}, {}, {flags:#o}, {mode:#o})", p(*path)),
        Stat { base, path, follow } => {
            format!("stat(base={base:?}, {}, follow={follow})", p(*path))
        }
        Access { base, path, mode } => format!("access(base={base:?}, {}, {mode})", p(*path)),
        Truncate { base, path, len } => format!("truncate(base={base:?}, {}, {len})", p(*path)),
        Mkdir { base, path, mode } => format!("mkdir(base={base:?}, {}, {mode:#o})", p(*path)),
        Rmdir { base, path } => format!("rmdir(base={base:?}, {})", p(*path)),
        Unlink { base, path } => format!("unlink(base={base:?}, {})", p(*path)),
        Link {
            old_base,
            old,
            new_base,
            new,
            follow,
        } => {
            format!(
                "link({old_base:?}, {}, {new_base:?}, {}, follow={follow})",
                p(*old),
                p(*new)
            )
        }
        Symlink { target, base, path } => {
            format!(
                "symlink({}, base={base:?}, {})",
                show(&u.targets[*target]),
                p(*path)
            )
        }
        Readlink { base, path, len } => format!("readlink(base={base:?}, {}, {len})", p(*path)),
        Rename {
            old_base,
            old,
            new_base,
            new,
            flags,
        } => {
            format!(
                "rename({old_base:?}, {}, {new_base:?}, {}, {flags})",
                p(*old),
                p(*new)
            )
        }
        Chmod { base, path, mode } => format!("chmod(base={base:?}, {}, {mode:#o})", p(*path)),
        ReadFile { path } => format!("read_file({})", p(*path)),
        other => format!("{other:?}"),
    }
}

/// Applies `ops` to `a` and `b` in lock step. After every op: the outcomes
/// must agree, both pass their invariant checks, pool use agrees, and an
/// lstat of every universe path and an fstat of every open slot agree,
/// including which of them share a node.
pub fn run_pair(
    a: &mut dyn Driver,
    b: &mut dyn Driver,
    ops: &[Op],
    u: &Universe,
) -> Result<(), TestCaseError> {
    let mut handles: Vec<Slot> = Vec::new();
    let mut next_slot: Slot = 0;
    // Partial listings so far, per description (slots map to descriptions).
    let mut seen: HashMap<Slot, Vec<Vec<u8>>> = HashMap::new();
    let mut desc_of: HashMap<Slot, Slot> = HashMap::new();
    let mut log = String::new();
    let (na, nb) = (a.name(), b.name());
    for (i, op) in ops.iter().enumerate() {
        if op.handle().is_some() && handles.is_empty() {
            continue;
        }
        let env = Env {
            u,
            handles: &handles,
            new_slot: next_slot,
        };
        let slot = op.handle().map(|h| env.handle(h));
        let ra = a.apply(op, &env);
        let rb = b.apply(op, &env);
        let _ = writeln!(log, "  #{i} {}  -> {na}: {ra:?}", describe(op, u));
        let fail = |what: String| {
            TestCaseError::fail(format!(
                "{what}\nafter op #{i} {}\n{}: {ra:?}\n{}: {rb:?}\nsequence:\n{log}",
                describe(op, u),
                na,
                nb
            ))
        };
        match (&ra, &rb) {
            (Outcome::Listing { stable, ever, n }, Outcome::Seen(got))
            | (Outcome::Seen(got), Outcome::Listing { stable, ever, n }) => {
                let acc = seen.entry(desc_of[&slot.unwrap()]).or_default();
                acc.extend(got.iter().cloned());
                if got.len() > *n {
                    return Err(fail(format!(
                        "readdir gave {} entries for a budget of {n}",
                        got.len()
                    )));
                }
                if got.len() < *n {
                    check_listing(acc, stable, ever).map_err(fail)?;
                }
            }
            (x, y) if x == y => {}
            (Outcome::Stat(x), Outcome::Stat(y)) if x.same(y) => {}
            _ => return Err(fail("outcomes differ".into())),
        }
        match (op, &ra) {
            (_, Outcome::Opened) => {
                handles.push(next_slot);
                // A dup shares its source's description, cookie included.
                let desc = slot.map_or(next_slot, |s| desc_of[&s]);
                desc_of.insert(next_slot, desc);
                next_slot += 1;
            }
            (Op::Close { .. }, Outcome::Done) => {
                handles.retain(|s| Some(*s) != slot);
            }
            (Op::Readdir { .. }, _) | (Op::Lseek { .. }, Outcome::Count(_)) => {
                seen.insert(desc_of[&slot.unwrap()], Vec::new());
            }
            _ => {}
        }
        a.check()
            .map_err(|e| fail(format!("{na} invariants: {e}")))?;
        b.check()
            .map_err(|e| fail(format!("{nb} invariants: {e}")))?;
        if let (Some(x), Some(y)) = (a.usage(), b.usage()) {
            if x != y {
                return Err(fail(format!(
                    "pool use [nodes, dirents, chunks, open files] differs: {na}: {x:?}, {nb}: {y:?}"
                )));
            }
        }
        compare_snapshots(a, b, u, &handles).map_err(fail)?;
    }
    Ok(())
}

/// A finished partial listing holds each stable name once and only names that existed.
fn check_listing(
    acc: &[Vec<u8>],
    stable: &BTreeSet<Vec<u8>>,
    ever: &BTreeSet<Vec<u8>>,
) -> Result<(), String> {
    let mut count: BTreeMap<&[u8], usize> = BTreeMap::new();
    for name in acc {
        *count.entry(name).or_default() += 1;
        if !ever.contains(name) {
            return Err(format!("readdir listed {} which never existed", show(name)));
        }
    }
    for name in stable {
        let c = count.get(name.as_slice()).copied().unwrap_or(0);
        if c != 1 {
            return Err(format!(
                "readdir listed {} {c} times (present throughout, expected once)",
                show(name)
            ));
        }
    }
    Ok(())
}

fn compare_snapshots(
    a: &mut dyn Driver,
    b: &mut dyn Driver,
    u: &Universe,
    handles: &[Slot],
) -> Result<(), String> {
    let mut sa = Vec::new();
    let mut sb = Vec::new();
    let mut what = Vec::new();
    for p in &u.paths {
        sa.push(a.lstat(p));
        sb.push(b.lstat(p));
        what.push(format!("lstat {}", show(p)));
    }
    for &s in handles {
        sa.push(a.fstat_slot(s));
        sb.push(b.fstat_slot(s));
        what.push(format!("fstat slot {s}"));
    }
    for i in 0..sa.len() {
        let same = match (&sa[i], &sb[i]) {
            (Ok(x), Ok(y)) => x.same(y),
            (x, y) => x == y,
        };
        if !same {
            return Err(format!(
                "state differs: {}: {}: {:?}, {}: {:?}",
                what[i],
                a.name(),
                sa[i],
                b.name(),
                sb[i]
            ));
        }
    }
    // Which paths and descriptions share a node must agree (hard links, renames).
    let ids = |s: &[Result<StatView, i32>]| -> Vec<Option<u64>> {
        s.iter().map(|r| r.as_ref().ok().map(|v| v.ino)).collect()
    };
    let (ia, ib) = (ids(&sa), ids(&sb));
    for i in 0..ia.len() {
        for j in i + 1..ia.len() {
            if let (Some(x1), Some(x2), Some(y1), Some(y2)) = (ia[i], ia[j], ib[i], ib[j]) {
                if (x1 == x2) != (y1 == y2) {
                    return Err(format!(
                        "node identity differs: {} and {}: same node in {}: {}, in {}: {}",
                        what[i],
                        what[j],
                        a.name(),
                        x1 == x2,
                        b.name(),
                        y1 == y2
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `default` cases unless PROPTEST_CASES says otherwise. Failures are not
/// persisted: the printed minimal case is the reproduction.
pub fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(n)
    }
}

/// Bytes a write op writes: a pattern that exposes misplaced offsets.
pub fn pattern(fill: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| fill.wrapping_add((i % 251) as u8))
        .collect()
}

/// `DT_*` of an `S_IF*` kind.
pub fn dt_of(kind: u32) -> u8 {
    match kind {
        S_IFDIR => DT_DIR,
        S_IFREG => DT_REG,
        S_IFLNK => DT_LNK,
        _ => DT_UNKNOWN,
    }
}
