//! Personal-data access log: who read which dossier or digital result, when, through which
//! operation.
//!
//! Decree 13/2023/NĐ-CP (Art. 27: the processing of personal data is recorded and the records
//! kept) and the Personal Data Protection Law (in force from 1 January 2026) expect every
//! processing of personal data to be traceable. Here a *read* by anyone other than the
//! record's owner is processing: one entry per record shown, never one per request.
//!
//! **Integrity.** Entries are append-only (database triggers refuse UPDATE and DELETE on
//! both backends) and hash-chained per commune of the record: entry `n` of a commune stores
//! the SHA-256 of its own canonical content including the hash of entry `n − 1`, and
//! `access_log_heads` holds the last sequence number and hash of each chain. [`verify`]
//! recomputes every chain and names the first entry where it breaks: a missing sequence
//! number (deleted row), content that does not match its hash (edited row), a link that does
//! not match the previous hash (edited row whose hash was recomputed), or a head ahead of the
//! last entry (rows deleted at the end).
//!
//! **Concurrency.** [`append`] runs in one write transaction that locks each commune's head
//! row (`FOR UPDATE` on PostgreSQL; `BEGIN IMMEDIATE` on SQLite) in commune-code order, so
//! any number of writers, in any number of instances, produce one chain per commune and
//! never deadlock.
//!
//! **Throughput.** [`Writer`] is a group commit: a request hands its entries to one writer
//! thread per instance and waits until they are committed; the writer commits everything that
//! arrived meanwhile in one transaction. A read is answered only after its entries are
//! durable, so a crash loses nothing that was shown, and if the log cannot be written the read
//! is refused (503) rather than served unrecorded.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::models::access_log as log_rows;
use crate::db::models::dossier::Dossier;
use crate::db::models::result::DigitalResult;
use crate::db::schema::{access_log, access_log_heads, digital_results, dossiers};
use crate::db::{DbConn, DbPool};
use crate::domain::roles::Role;
use crate::service::keyset::Keyset;

/// `prev_hash` of the first entry of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Version tag hashed into every entry, so that a future change of the canonical form is
/// explicit rather than silently breaking old chains.
const HASH_VERSION: &str = "motcua-access-log-v1";

/// Entries written per transaction at most (a batch of a busy instance).
const MAX_BATCH: usize = 2_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Dossier,
    DigitalResult,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Dossier => "dossier",
            RecordKind::DigitalResult => "digital_result",
        }
    }
}

/// A record whose personal data a response shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    pub kind: RecordKind,
    pub record_id: String,
    /// What people call it: the dossier code, or the result's number and symbol.
    pub record_ref: String,
    pub commune_code: String,
    pub province_code: String,
    /// The owning account: its own reads are not processing by someone else.
    pub owner_user_id: Option<String>,
}

impl Read {
    pub fn dossier(d: &Dossier) -> Read {
        Read {
            kind: RecordKind::Dossier,
            record_id: d.id.clone(),
            record_ref: d.code.clone(),
            commune_code: d.commune_code.clone(),
            province_code: d.province_code.clone(),
            owner_user_id: d.owner_user_id.clone(),
        }
    }

    /// A dossier known by its parts (a payment's dossier); its owner is not known, so a
    /// citizen's read of it is taken as a read of their own (the scope rules let a citizen
    /// reach only their own dossiers' payments).
    pub fn dossier_parts(id: &str, code: &str, commune_code: &str, province_code: &str) -> Read {
        Read {
            kind: RecordKind::Dossier,
            record_id: id.to_string(),
            record_ref: code.to_string(),
            commune_code: commune_code.to_string(),
            province_code: province_code.to_string(),
            owner_user_id: None,
        }
    }

    pub fn result(r: &DigitalResult) -> Read {
        Read {
            kind: RecordKind::DigitalResult,
            record_id: r.id.clone(),
            record_ref: r.number_symbol.clone(),
            commune_code: r.commune_code.clone(),
            province_code: r.province_code.clone(),
            owner_user_id: r.owner_user_id.clone(),
        }
    }
}

/// Who read (from the verified token, never from the request).
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    pub commune_code: Option<String>,
    pub province_code: Option<String>,
}

/// Through which operation.
#[derive(Clone, Debug)]
pub struct Operation {
    /// The OpenAPI operation id (`get_dossier`).
    pub operation_id: String,
    /// Method and route template (`GET /api/v1/dossiers/{code}`): never the query string,
    /// which may carry a PIN or an ID number.
    pub route: String,
    pub request_id: String,
}

/// An entry before it is chained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    pub at: NaiveDateTime,
    pub actor_id: String,
    pub actor_role: String,
    pub actor_commune_code: Option<String>,
    pub actor_province_code: Option<String>,
    pub record_kind: String,
    pub record_id: String,
    pub record_ref: String,
    pub commune_code: String,
    pub province_code: String,
    pub operation: String,
    pub route: String,
    pub request_id: String,
}

/// Whether a read is the data subject reading their own record: the owning account, or a
/// citizen reading a record without an owning account (a counter dossier or a result matched
/// to the citizen by ID number: the scope rules give a citizen nothing else). A citizen
/// reading a record another account owns is logged.
pub fn is_own(actor: &Actor, read: &Read) -> bool {
    match read.owner_user_id.as_deref() {
        Some(owner) => owner == actor.user_id,
        None => actor.role == Role::Citizen,
    }
}

/// The entries one response produces: one per record shown, except the actor's own records
/// and records already named (a page never names a record twice).
pub fn entries(
    actor: &Actor,
    op: &Operation,
    reads: impl IntoIterator<Item = Read>,
    at: NaiveDateTime,
) -> Vec<NewEntry> {
    let mut seen = std::collections::HashSet::new();
    reads
        .into_iter()
        .filter(|r| !is_own(actor, r))
        .filter(|r| seen.insert((r.kind, r.record_id.clone())))
        .map(|r| NewEntry {
            at,
            actor_id: actor.user_id.clone(),
            actor_role: actor.role.as_str().to_string(),
            actor_commune_code: actor.commune_code.clone(),
            actor_province_code: actor.province_code.clone(),
            record_kind: r.kind.as_str().to_string(),
            record_id: r.record_id,
            record_ref: r.record_ref,
            commune_code: r.commune_code,
            province_code: r.province_code,
            operation: op.operation_id.clone(),
            route: op.route.clone(),
            request_id: op.request_id.clone(),
        })
        .collect()
}

pub use crate::db::models::access_log::Entry;

/// The canonical form that is hashed: every field but `hash`, each length-prefixed (so no
/// choice of values can make two different entries serialize alike), absent values marked.
fn canonical(e: &Entry) -> Vec<u8> {
    let at = e.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let seq = e.seq.to_string();
    let fields: [Option<&str>; 17] = [
        Some(HASH_VERSION),
        Some(&e.id),
        Some(&e.commune_code),
        Some(&seq),
        Some(&e.province_code),
        Some(&at),
        Some(&e.actor_id),
        Some(&e.actor_role),
        e.actor_commune_code.as_deref(),
        e.actor_province_code.as_deref(),
        Some(&e.record_kind),
        Some(&e.record_id),
        Some(&e.record_ref),
        Some(&e.operation),
        Some(&e.route),
        Some(&e.request_id),
        Some(&e.prev_hash),
    ];
    let mut out = Vec::with_capacity(512);
    for f in fields {
        match f {
            Some(s) => {
                out.extend_from_slice(s.len().to_string().as_bytes());
                out.push(b':');
                out.extend_from_slice(s.as_bytes());
            }
            None => out.push(b'-'),
        }
        out.push(b'\n');
    }
    out
}

/// The content hash of an entry (hex SHA-256 of its canonical form).
pub fn hash_of(e: &Entry) -> String {
    hex::encode(Sha256::digest(canonical(e)))
}

/// Chains `items` (all of one commune) after the head `(seq, prev)`.
fn chain(items: &[&NewEntry], head: (i64, &str)) -> Vec<Entry> {
    let (mut seq, mut prev) = (head.0, head.1.to_string());
    items
        .iter()
        .map(|n| {
            seq += 1;
            let mut e = Entry {
                id: uuid::Uuid::now_v7().to_string(),
                commune_code: n.commune_code.clone(),
                seq,
                province_code: n.province_code.clone(),
                at: n.at,
                actor_id: n.actor_id.clone(),
                actor_role: n.actor_role.clone(),
                actor_commune_code: n.actor_commune_code.clone(),
                actor_province_code: n.actor_province_code.clone(),
                record_kind: n.record_kind.clone(),
                record_id: n.record_id.clone(),
                record_ref: n.record_ref.clone(),
                operation: n.operation.clone(),
                route: n.route.clone(),
                request_id: n.request_id.clone(),
                prev_hash: std::mem::take(&mut prev),
                hash: String::new(),
            };
            e.hash = hash_of(&e);
            prev = e.hash.clone();
            e
        })
        .collect()
}

/// Entries by commune, in commune-code order: every writer locks heads in the same order,
/// so none deadlock.
fn by_commune(batch: &[NewEntry]) -> BTreeMap<&str, Vec<&NewEntry>> {
    let mut groups: BTreeMap<&str, Vec<&NewEntry>> = BTreeMap::new();
    for e in batch {
        groups.entry(e.commune_code.as_str()).or_default().push(e);
    }
    groups
}

/// Chains and stores entries in one transaction, locking each commune's head. Returns them
/// as stored.
pub fn append(conn: &mut DbConn, batch: &[NewEntry]) -> QueryResult<Vec<Entry>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    conn.write_transaction(|conn| {
        let mut stored = Vec::with_capacity(batch.len());
        for (commune, items) in by_commune(batch) {
            let (seq, prev) = log_rows::lock_head(conn, commune, GENESIS)?;
            let rows = chain(&items, (seq, &prev));
            log_rows::insert_locked(conn, commune, &rows)?;
            stored.extend(rows);
        }
        Ok(stored)
    })
}

/// Appends for one writer, remembering where it left each chain: while no other instance
/// appends to a commune, the next batch goes in with a single conditional statement
/// ([`log_rows::append_after`]) instead of a locking transaction. When the head has moved,
/// or on first sight of a commune, it falls back to locking the head.
#[derive(Default)]
pub struct Chainer {
    heads: std::collections::HashMap<String, log_rows::Head>,
}

impl Chainer {
    /// Appends each commune's entries atomically (one commune's failure does not undo
    /// another's). Returns the communes whose entries could not be stored, with why.
    ///
    /// First every commune in one transaction: one commit (one WAL flush) per batch, where
    /// a province list page names a dozen communes. Should that fail, nothing of it was
    /// stored and each commune is tried on its own.
    pub fn append(&mut self, conn: &mut DbConn, batch: &[NewEntry]) -> Vec<(String, String)> {
        let groups = by_commune(batch);
        if groups.len() > 1 {
            match conn.write_transaction(|c| self.append_all(c, &groups)) {
                Ok(heads) => {
                    self.heads.extend(heads);
                    return Vec::new();
                }
                Err(e) => log::warn!("access log batch retried commune by commune: {e}"),
            }
        }
        let mut failed = Vec::new();
        for (commune, items) in by_commune(batch) {
            if let Err(e) = self.append_commune(conn, commune, &items) {
                self.heads.remove(commune);
                failed.push((commune.to_string(), e.to_string()));
            }
        }
        failed
    }

    /// Every commune's entries inside the caller's write transaction, in commune-code order
    /// (the order every writer locks heads in); the heads to remember once it commits.
    fn append_all(
        &self,
        conn: &mut DbConn,
        groups: &BTreeMap<&str, Vec<&NewEntry>>,
    ) -> QueryResult<Vec<(String, log_rows::Head)>> {
        let mut heads = Vec::with_capacity(groups.len());
        for (commune, items) in groups {
            let mut stored = None;
            if let Some((seq, hash)) = self.heads.get(*commune) {
                let rows = chain(items, (*seq, hash));
                if log_rows::append_after_within(conn, commune, (*seq, hash), &rows)? {
                    stored = Some(rows);
                }
            }
            let rows = match stored {
                Some(rows) => rows,
                None => {
                    let (seq, prev) = log_rows::lock_head(conn, commune, GENESIS)?;
                    let rows = chain(items, (seq, &prev));
                    log_rows::insert_locked(conn, commune, &rows)?;
                    rows
                }
            };
            if let Some(last) = rows.last() {
                heads.push((commune.to_string(), (last.seq, last.hash.clone())));
            }
        }
        Ok(heads)
    }

    fn append_commune(
        &mut self,
        conn: &mut DbConn,
        commune: &str,
        items: &[&NewEntry],
    ) -> QueryResult<()> {
        if let Some((seq, hash)) = self.heads.get(commune) {
            let rows = chain(items, (*seq, hash));
            if log_rows::append_after(conn, commune, (*seq, hash), &rows)? {
                self.remember(commune, &rows);
                return Ok(());
            }
        }
        let rows = conn.write_transaction(|conn| {
            let (seq, prev) = log_rows::lock_head(conn, commune, GENESIS)?;
            let rows = chain(items, (seq, &prev));
            log_rows::insert_locked(conn, commune, &rows)?;
            Ok::<_, diesel::result::Error>(rows)
        })?;
        self.remember(commune, &rows);
        Ok(())
    }

    fn remember(&mut self, commune: &str, rows: &[Entry]) {
        if let Some(last) = rows.last() {
            self.heads
                .insert(commune.to_string(), (last.seq, last.hash.clone()));
        }
    }
}

// ---------------------------------------------------------------- verification

/// What is wrong at a point of a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Entries with these sequence numbers are missing (deleted).
    Missing { from: i64, to: i64 },
    /// The entry's content does not match its hash (edited).
    Altered,
    /// The entry's `prev_hash` is not the previous entry's hash: the previous entry was
    /// edited and its hash recomputed, or an entry was inserted.
    LinkBroken,
    /// The head names a later entry than the last one present (entries deleted at the end).
    TailMissing { head_seq: i64 },
    /// The head's hash is not the last entry's hash (last entry or head edited).
    HeadMismatch,
    /// Entries exist but the chain has no head.
    HeadMissing,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing { from, to } if from == to => {
                write!(f, "entry {from} is missing (deleted)")
            }
            Problem::Missing { from, to } => write!(f, "entries {from}..={to} are missing (deleted)"),
            Problem::Altered => f.write_str("content does not match its hash (edited)"),
            Problem::LinkBroken => f.write_str(
                "prev_hash is not the previous entry's hash (previous entry edited, or an entry inserted)",
            ),
            Problem::TailMissing { head_seq } => write!(
                f,
                "the chain head names entry {head_seq}: this entry and those after it up to there are missing (deleted)"
            ),
            Problem::HeadMismatch => f.write_str("the chain head's hash is not this entry's hash"),
            Problem::HeadMissing => f.write_str("the chain has entries but no head"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Break {
    /// The sequence number where the chain breaks (for `Missing`, the first missing one).
    pub seq: i64,
    pub entry_id: Option<String>,
    pub problem: Problem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub commune_code: String,
    /// Entries present.
    pub entries: i64,
    /// The head's last sequence number (0 without a head).
    pub head_seq: i64,
    /// At most [`MAX_BREAKS`] breaks, in chain order.
    pub breaks: Vec<Break>,
}

impl ChainReport {
    pub fn is_valid(&self) -> bool {
        self.breaks.is_empty()
    }
}

pub const MAX_BREAKS: usize = 100;

/// Walks entries of one chain in sequence order (called page by page). Pure, so that every
/// kind of tampering is unit-tested without a database.
pub fn check_entries<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    breaks: &mut Vec<Break>,
    state: &mut ChainState,
) {
    for e in entries {
        state.count += 1;
        if e.seq > state.expected {
            push(
                breaks,
                Break {
                    seq: state.expected,
                    entry_id: None,
                    problem: Problem::Missing {
                        from: state.expected,
                        to: e.seq - 1,
                    },
                },
            );
        } else if e.prev_hash != state.prev {
            push(
                breaks,
                Break {
                    seq: e.seq,
                    entry_id: Some(e.id.clone()),
                    problem: Problem::LinkBroken,
                },
            );
        }
        if hash_of(e) != e.hash {
            push(
                breaks,
                Break {
                    seq: e.seq,
                    entry_id: Some(e.id.clone()),
                    problem: Problem::Altered,
                },
            );
        }
        state.prev = e.hash.clone();
        state.last_id = Some(e.id.clone());
        state.expected = e.seq + 1;
    }
}

/// After the last entry: the chain's head must name it.
pub fn check_head(head: Option<(i64, &str)>, breaks: &mut Vec<Break>, state: &ChainState) {
    let Some((head_seq, head_hash)) = head else {
        if state.count > 0 {
            push(
                breaks,
                Break {
                    seq: state.expected - 1,
                    entry_id: state.last_id.clone(),
                    problem: Problem::HeadMissing,
                },
            );
        }
        return;
    };
    let last = state.expected - 1;
    if head_seq > last {
        push(
            breaks,
            Break {
                seq: last + 1,
                entry_id: None,
                problem: Problem::TailMissing { head_seq },
            },
        );
    } else if head_hash != state.prev {
        push(
            breaks,
            Break {
                seq: last,
                entry_id: state.last_id.clone(),
                problem: Problem::HeadMismatch,
            },
        );
    }
}

fn push(breaks: &mut Vec<Break>, b: Break) {
    if breaks.len() < MAX_BREAKS {
        breaks.push(b);
    }
}

/// Where a walk of a chain is.
#[derive(Debug)]
pub struct ChainState {
    expected: i64,
    prev: String,
    last_id: Option<String>,
    count: i64,
}

impl Default for ChainState {
    fn default() -> Self {
        ChainState {
            expected: 1,
            prev: GENESIS.to_string(),
            last_id: None,
            count: 0,
        }
    }
}

/// Verifies the chain of one commune, or of every commune with entries or a head. Reads
/// each chain in pages in sequence order (memory does not grow with the log).
pub fn verify(conn: &mut DbConn, commune: Option<&str>) -> QueryResult<Vec<ChainReport>> {
    let communes: Vec<String> = match commune {
        Some(c) => vec![c.to_string()],
        None => {
            let mut all: std::collections::BTreeSet<String> = access_log_heads::table
                .select(access_log_heads::commune_code)
                .load::<String>(conn)?
                .into_iter()
                .collect();
            all.extend(
                access_log::table
                    .select(access_log::commune_code)
                    .distinct()
                    .load::<String>(conn)?,
            );
            all.into_iter().collect()
        }
    };
    let mut reports = Vec::with_capacity(communes.len());
    for c in communes {
        let head: Option<(i64, String)> = access_log_heads::table
            .find(&c)
            .select((access_log_heads::last_seq, access_log_heads::last_hash))
            .first(conn)
            .optional()?;
        let mut state = ChainState::default();
        let mut breaks = Vec::new();
        let mut after = 0i64;
        loop {
            let page: Vec<Entry> = access_log::table
                .filter(access_log::commune_code.eq(&c))
                .filter(access_log::seq.gt(after))
                .order(access_log::seq.asc())
                .limit(5_000)
                .select(Entry::as_select())
                .load(conn)?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            check_entries(&page, &mut breaks, &mut state);
        }
        let head_ref = head.as_ref().map(|(s, h)| (*s, h.as_str()));
        check_head(head_ref, &mut breaks, &state);
        reports.push(ChainReport {
            commune_code: c,
            entries: state.count,
            head_seq: head.map(|h| h.0).unwrap_or(0),
            breaks,
        });
    }
    Ok(reports)
}

// ---------------------------------------------------------------- queries

/// Filters of the supervisors' and administrators' query. `province_code` is the caller's
/// scope (set for a province supervisor).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    /// A record's id, or its dossier code / result number.
    pub record: Option<String>,
    pub actor: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// Newest first, `limit + 1` rows (the extra one proves there is a next page).
pub fn search(
    conn: &mut DbConn,
    f: &Filter,
    after: Option<Keyset>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    let mut q = access_log::table.select(Entry::as_select()).into_boxed();
    if let Some(p) = &f.province_code {
        q = q.filter(access_log::province_code.eq(p.clone()));
    }
    if let Some(c) = &f.commune_code {
        q = q.filter(access_log::commune_code.eq(c.clone()));
    }
    if let Some(r) = &f.record {
        q = q.filter(
            access_log::record_id
                .eq(r.clone())
                .or(access_log::record_ref.eq(r.clone())),
        );
    }
    if let Some(a) = &f.actor {
        q = q.filter(access_log::actor_id.eq(a.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(access_log::at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(access_log::at.lt(to));
    }
    if let Some(Keyset(at, id)) = after {
        q = q
            .filter(access_log::at.le(at))
            .filter(access_log::at.lt(at).or(access_log::id.lt(id)));
    }
    q.order((access_log::at.desc(), access_log::id.desc()))
        .limit(limit + 1)
        .load(conn)
}

/// Reads of the records an account owns (its dossiers and digital results) by anyone else,
/// newest first, `limit + 1` rows. Ownership is taken as it is now, so a counter dossier
/// linked to the account later shows the reads made before.
pub fn for_owner(
    conn: &mut DbConn,
    user_id: &str,
    after: Option<Keyset>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    let my_dossiers = dossiers::table
        .filter(dossiers::owner_user_id.eq(user_id.to_string()))
        .select(dossiers::id);
    let my_results = digital_results::table
        .filter(digital_results::owner_user_id.eq(user_id.to_string()))
        .select(digital_results::id);
    let mut q = access_log::table
        .select(Entry::as_select())
        .filter(
            access_log::record_kind
                .eq(RecordKind::Dossier.as_str())
                .and(access_log::record_id.eq_any(my_dossiers))
                .or(access_log::record_kind
                    .eq(RecordKind::DigitalResult.as_str())
                    .and(access_log::record_id.eq_any(my_results))),
        )
        .filter(access_log::actor_id.ne(user_id.to_string()))
        .into_boxed();
    if let Some(Keyset(at, id)) = after {
        q = q
            .filter(access_log::at.le(at))
            .filter(access_log::at.lt(at).or(access_log::id.lt(id)));
    }
    q.order((access_log::at.desc(), access_log::id.desc()))
        .limit(limit + 1)
        .load(conn)
}

// ---------------------------------------------------------------- group commit

struct Job {
    entries: Vec<NewEntry>,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// One writer thread per instance: requests hand it their entries and wait until they are
/// committed; it commits all that is waiting in one transaction (group commit). Bounded: when
/// 4,096 requests wait, the next one waits for room (nothing is dropped).
pub struct Writer {
    tx: tokio::sync::mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread; it ends when the last handle is dropped.
    pub fn start(pool: DbPool) -> Writer {
        let (tx, rx) = tokio::sync::mpsc::channel(4096);
        std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || run_writer(pool, rx))
            .expect("spawn the access-log writer");
        Writer { tx }
    }

    /// Returns once the entries are committed; an error when they could not be (the caller
    /// must then not serve the read).
    pub async fn write(&self, entries: Vec<NewEntry>) -> Result<(), String> {
        if entries.is_empty() {
            return Ok(());
        }
        let (done, wait) = tokio::sync::oneshot::channel();
        self.tx
            .send(Job { entries, done })
            .await
            .map_err(|_| "the access-log writer has stopped".to_string())?;
        wait.await
            .map_err(|_| "the access-log writer has stopped".to_string())?
    }
}

fn run_writer(pool: DbPool, mut rx: tokio::sync::mpsc::Receiver<Job>) {
    // The writer keeps its connection between batches (no checkout and liveness ping per
    // batch) and its chainer's memory of each chain's head; both are dropped on a failure.
    let mut conn = None;
    let mut chainer = Chainer::default();
    while let Some(first) = rx.blocking_recv() {
        let mut n = first.entries.len();
        let mut jobs = vec![first];
        while n < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.entries.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let batch: Vec<NewEntry> = jobs
            .iter()
            .flat_map(|j| j.entries.iter().cloned())
            .collect();
        if conn.is_none() {
            match pool.get() {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    let why = format!("access log not written: database unavailable: {e}");
                    log::error!("{why} ({} entries refused)", batch.len());
                    for j in jobs {
                        let _ = j.done.send(Err(why.clone()));
                    }
                    continue;
                }
            }
        }
        let failed = chainer.append(conn.as_mut().expect("checked out above"), &batch);
        if !failed.is_empty() {
            conn = None;
            chainer = Chainer::default();
            for (commune, why) in &failed {
                log::error!("access log not written for commune {commune}: {why}");
            }
        }
        for j in jobs {
            let refused = j
                .entries
                .iter()
                .find_map(|e| failed.iter().find(|(c, _)| *c == e.commune_code));
            let _ = j.done.send(match refused {
                Some((_, why)) => Err(format!("access log not written: {why}")),
                None => Ok(()),
            });
        }
    }
}

/// Now, at the precision both databases keep (the hash covers the stored instant).
pub fn now() -> NaiveDateTime {
    crate::clock::now().naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, id: &str) -> Actor {
        Actor {
            user_id: id.into(),
            role,
            commune_code: Some("04978".into()),
            province_code: Some("25".into()),
        }
    }

    fn op() -> Operation {
        Operation {
            operation_id: "get_dossier".into(),
            route: "GET /api/v1/dossiers/{code}".into(),
            request_id: "req-1".into(),
        }
    }

    fn read(id: &str, owner: Option<&str>) -> Read {
        Read {
            kind: RecordKind::Dossier,
            record_id: id.into(),
            record_ref: format!("H25.04978-260101-{id}"),
            commune_code: "04978".into(),
            province_code: "25".into(),
            owner_user_id: owner.map(str::to_string),
        }
    }

    fn at() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_micro_opt(3, 4, 5, 123_456)
            .unwrap()
    }

    /// A valid chain of `n` entries built as `append` builds it.
    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = Entry {
                    id: format!("id-{seq}"),
                    commune_code: "04978".into(),
                    seq,
                    province_code: "25".into(),
                    at: at(),
                    actor_id: "officer".into(),
                    actor_role: "specialist".into(),
                    actor_commune_code: Some("04978".into()),
                    actor_province_code: None,
                    record_kind: "dossier".into(),
                    record_id: format!("d-{seq}"),
                    record_ref: format!("H25.04978-260101-{seq:04}"),
                    operation: "get_dossier".into(),
                    route: "GET /api/v1/dossiers/{code}".into(),
                    request_id: format!("r-{seq}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = hash_of(&e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn check(entries: &[Entry], head: Option<(i64, &str)>) -> Vec<Break> {
        let mut breaks = Vec::new();
        let mut state = ChainState::default();
        check_entries(entries, &mut breaks, &mut state);
        check_head(head, &mut breaks, &state);
        breaks
    }

    fn head_of(entries: &[Entry]) -> Option<(i64, &str)> {
        entries.last().map(|e| (e.seq, e.hash.as_str()))
    }

    // Decree 13/2023/NĐ-CP Art. 27 (records of processing): the staff's reads are logged,
    // the data subject's own reads are not someone else processing their data.
    #[test]
    fn decree_13_art_27_staff_reads_are_logged_own_reads_are_not() {
        let officer = actor(Role::Specialist, "officer");
        let e = entries(
            &officer,
            &op(),
            [read("a", Some("citizen-1")), read("b", None)],
            at(),
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].actor_role, "specialist");
        assert_eq!(e[0].route, "GET /api/v1/dossiers/{code}");
        assert_eq!(e[0].record_id, "a");

        let citizen = actor(Role::Citizen, "citizen-1");
        // Own (by account) and own by ID number (no owning account): not logged.
        assert!(entries(
            &citizen,
            &op(),
            [read("a", Some("citizen-1")), read("b", None)],
            at()
        )
        .is_empty());
        // Another account's record reached by a citizen (a scope hole): logged.
        let e = entries(&citizen, &op(), [read("c", Some("citizen-2"))], at());
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].actor_id, "citizen-1");
    }

    #[test]
    fn a_record_shown_twice_in_one_response_is_logged_once() {
        let officer = actor(Role::Leader, "officer");
        let e = entries(
            &officer,
            &op(),
            [read("a", None), read("a", None), read("b", None)],
            at(),
        );
        assert_eq!(
            e.iter().map(|e| e.record_id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = chain(1).remove(0);
        let h = hash_of(&base);
        assert_eq!(h.len(), 64);
        assert_eq!(h, hash_of(&base.clone()), "deterministic");
        type Change = Box<dyn Fn(&mut Entry)>;
        let variants: Vec<Change> = vec![
            Box::new(|e| e.id.push('x')),
            Box::new(|e| e.commune_code.push('x')),
            Box::new(|e| e.seq += 1),
            Box::new(|e| e.province_code.push('x')),
            Box::new(|e| e.at += chrono::Duration::microseconds(1)),
            Box::new(|e| e.actor_id.push('x')),
            Box::new(|e| e.actor_role.push('x')),
            Box::new(|e| e.actor_commune_code = None),
            Box::new(|e| e.actor_province_code = Some(String::new())),
            Box::new(|e| e.record_kind.push('x')),
            Box::new(|e| e.record_id.push('x')),
            Box::new(|e| e.record_ref.push('x')),
            Box::new(|e| e.operation.push('x')),
            Box::new(|e| e.route.push('x')),
            Box::new(|e| e.request_id.push('x')),
            Box::new(|e| e.prev_hash.replace_range(0..1, "f")),
        ];
        for (i, change) in variants.iter().enumerate() {
            let mut e = base.clone();
            change(&mut e);
            assert_ne!(hash_of(&e), h, "field change {i} not covered");
        }
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        // "ab" + "c" and "a" + "bc" must not hash alike.
        let mut a = chain(1).remove(0);
        let mut b = a.clone();
        a.actor_id = "ab".into();
        a.actor_role = "c".into();
        b.actor_id = "a".into();
        b.actor_role = "bc".into();
        assert_ne!(hash_of(&a), hash_of(&b));
        // An absent value differs from an empty one.
        let mut c = a.clone();
        c.actor_commune_code = Some(String::new());
        a.actor_commune_code = None;
        assert_ne!(hash_of(&a), hash_of(&c));
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(check(&c, head_of(&c)), vec![]);
        assert_eq!(check(&[], None), vec![]);
    }

    #[test]
    fn a_deleted_entry_is_found() {
        let mut c = chain(5);
        let head = (c[4].seq, c[4].hash.clone());
        c.remove(2); // seq 3
        let b = check(&c, Some((head.0, &head.1)));
        assert_eq!(b.len(), 1, "{b:?}");
        assert_eq!(b[0].seq, 3);
        assert_eq!(b[0].problem, Problem::Missing { from: 3, to: 3 });
    }

    #[test]
    fn an_edited_entry_is_found() {
        let mut c = chain(5);
        c[1].record_ref = "someone else".into();
        let b = check(&c, head_of(&c));
        assert_eq!(b.len(), 1, "{b:?}");
        assert_eq!((b[0].seq, b[0].problem.clone()), (2, Problem::Altered));
        assert_eq!(b[0].entry_id.as_deref(), Some("id-2"));
    }

    #[test]
    fn an_edited_entry_with_a_recomputed_hash_breaks_the_next_link() {
        let mut c = chain(5);
        c[1].actor_id = "someone else".into();
        c[1].hash = hash_of(&c[1]);
        let b = check(&c, head_of(&c));
        assert_eq!(b.len(), 1, "{b:?}");
        assert_eq!((b[0].seq, b[0].problem.clone()), (3, Problem::LinkBroken));
    }

    #[test]
    fn entries_deleted_at_the_end_are_found_by_the_head() {
        let c = chain(5);
        let head = (c[4].seq, c[4].hash.clone());
        let b = check(&c[..3], Some((head.0, &head.1)));
        assert_eq!(b.len(), 1, "{b:?}");
        assert_eq!(
            (b[0].seq, b[0].problem.clone()),
            (4, Problem::TailMissing { head_seq: 5 })
        );
    }

    #[test]
    fn a_head_that_does_not_match_the_last_entry_is_found() {
        let c = chain(3);
        let b = check(&c, Some((3, GENESIS)));
        assert_eq!(b.len(), 1, "{b:?}");
        assert_eq!((b[0].seq, b[0].problem.clone()), (3, Problem::HeadMismatch));
        let b = check(&c, None);
        assert_eq!(b[0].problem, Problem::HeadMissing);
    }

    #[test]
    fn deleting_the_first_entry_is_found() {
        let c = chain(3);
        let b = check(&c[1..], head_of(&c));
        assert_eq!(b[0].problem, Problem::Missing { from: 1, to: 1 });
    }

    #[test]
    fn breaks_are_capped() {
        let mut c = chain(300);
        for e in &mut c {
            e.record_ref.push('!');
        }
        assert_eq!(check(&c, head_of(&c)).len(), MAX_BREAKS);
    }
}
