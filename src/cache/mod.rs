//! Prompt-cache simulation for one cache scope (account × provider × model),
//! driven only by the catalog's cache rules: no provider names here.
//!
//! Calls must be fed in event-time order. Each call offers the cache a list
//! of *prefixes* it starts with (length and content key) and asks for the
//! longest one still cached; then it stores its own prefixes.
//!
//! Where prefixes come from:
//! - with `prompt.segments`, one prefix per segment boundary, keyed by the
//!   chain of segment ids: exact, and shared across sessions exactly where the
//!   ids are shared;
//! - without segments, inferred: a session's earlier prompts are prefixes of
//!   its later ones (the context grows; a prompt that shrinks means the history
//!   was rewritten, and the session's chain starts over; so does a session
//!   idle past every TTL, whose prefixes the cache no longer holds), and the first
//!   `shared_prefix` tokens of every prompt in the scope are the same (a system
//!   prompt shared across sessions, `--shared-prefix`).

pub mod doctor;

// A fast hash: these maps are looked up for every call of every scenario.
use foldhash::{HashMap, HashMapExt};
use smallvec::SmallVec;

use xxhash_rust::xxh3::xxh3_64;

use crate::pricing::{CacheKind, CacheRules, Ttl};
use crate::record::Call;
use crate::scenario::Placement;

/// A prefix of a prompt: its length and a key naming its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Boundary {
    /// Tokens from the start of the prompt to this boundary.
    pub end: u64,
    /// Content key of the prefix up to here.
    pub key: u64,
    /// The trace asked for a cache breakpoint here.
    pub marked: bool,
}

/// What the simulator needs to know about one call's prompt.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PromptShape {
    pub tokens: u64,
    /// Hash of the session id, for inferred prefixes.
    pub session: Option<u64>,
    /// Segment boundaries, when the trace recorded segments.
    pub boundaries: Option<Vec<Boundary>>,
}

impl PromptShape {
    /// The shape of a call; `unique` makes id-less segments unmatchable.
    pub fn of(call: &Call, unique: u64) -> PromptShape {
        let boundaries = call.segments.as_ref().map(|segments| {
            let mut key = 0u64;
            let mut end = 0u64;
            segments
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    end += s.tokens;
                    let mut bytes = key.to_le_bytes().to_vec();
                    match &s.id {
                        Some(id) => bytes.extend_from_slice(id.as_bytes()),
                        // Content unknown: it can match nothing, not even itself later.
                        None => {
                            bytes.extend_from_slice(b"\0anon");
                            bytes.extend_from_slice(&unique.to_le_bytes());
                            bytes.extend_from_slice(&(i as u64).to_le_bytes());
                        }
                    }
                    key = xxh3_64(&bytes);
                    Boundary {
                        end,
                        key,
                        marked: s.cache.is_some(),
                    }
                })
                .collect()
        });
        PromptShape {
            tokens: call.usage.prompt_tokens(),
            session: call.session.as_ref().map(|s| xxh3_64(s.as_bytes())),
            boundaries,
        }
    }
}

/// How one call's prompt splits under the simulated cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Tokens read from the cache.
    pub read: u64,
    /// Tokens written to the cache (explicit caches only; automatic caches
    /// store prefixes at no extra charge).
    pub write: u64,
    /// Tokens billed at the plain input rate.
    pub input: u64,
}

/// Where a prefix is kept in the simulated cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// In the scope's map under this content key: segment chains and the
    /// shared prefix, which any session may read.
    Scope(u64),
    /// In the session's own list, at this index ([`NOT_STORED`] if it is
    /// not there): an inferred prefix of one session, which only its own
    /// calls can read.
    Session(usize),
    /// Nowhere: the prompt of a call outside any session, which nothing
    /// can read again.
    Nowhere,
}

/// The index of a session's prefix that is not stored (an index, not an
/// `Option`: candidates are made by the dozen for every call).
const NOT_STORED: usize = usize::MAX;

/// The expiry of a prefix not cached: before any call.
const NOT_CACHED: i64 = i64::MIN;

/// A prefix of a call's prompt that may be read or stored.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    end: u64,
    slot: Slot,
    /// The trace asked for a cache breakpoint here.
    marked: bool,
    /// When the cached copy expires ([`NOT_CACHED`] if there is none):
    /// looked up once per call, not once per question about it.
    expires_ms: i64,
}

impl Candidate {
    fn is_live(&self, now_ms: i64) -> bool {
        now_ms < self.expires_ms
    }
}

/// Prefixes kept per session: older ones are shorter and expire first.
const CHAIN_LIMIT: usize = 8;

/// Stored prefixes a session keeps inline, and the shortest list whose
/// expired entries are dropped.
const STORED_INLINE: usize = 16;

#[derive(Debug, Default)]
struct SessionChain {
    last_prompt: u64,
    /// Lengths of this session's earlier prompts, newest last (so
    /// increasing: a shrink starts the chain over): the prefixes its next
    /// call may read.
    lengths: SmallVec<[u64; CHAIN_LIMIT]>,
    /// The session's stored prefixes, (length, expiry in ms), by length.
    /// Apart from `lengths`, since a rewritten history starts the chain
    /// over while what was stored stays readable until it expires (a retry
    /// of an earlier prompt reads it).
    stored: SmallVec<[(u64, i64); STORED_INLINE]>,
    /// Length of `stored` past which what has expired is dropped: twice
    /// what was left the last time, so that a busy session (one prefix a
    /// call, an hour's TTL) is not scanned on every call.
    prune_at: usize,
    /// When every prefix this session stored or refreshed has expired: its
    /// prefixes are only ever touched by its own calls, at most one TTL
    /// before this.
    idle_from_ms: i64,
}

/// A walk down a session's stored prefixes, looking up increasing lengths.
struct Stored<'a> {
    list: &'a [(u64, i64)],
    at: usize,
}

impl<'a> Stored<'a> {
    /// A walk from the first prefix of `from` tokens or more: a busy
    /// session stores a prefix a call, and only its latest few are asked for.
    fn from(list: &'a [(u64, i64)], from: u64) -> Self {
        Stored {
            list,
            at: list.partition_point(|&(len, _)| len < from),
        }
    }

    /// Where the prefix of `len` tokens is stored, and until when; `len`
    /// no shorter than the one asked before.
    fn find(&mut self, len: u64) -> (Slot, i64) {
        while self.list.get(self.at).is_some_and(|&(l, _)| l < len) {
            self.at += 1;
        }
        match self.list.get(self.at) {
            Some(&(l, expires)) if l == len => (Slot::Session(self.at), expires),
            _ => (Slot::Session(NOT_STORED), NOT_CACHED),
        }
    }
}

/// A call's candidate prefixes: inferred ones are at most the chain, the
/// shared prefix and the prompt's end, kept inline (this runs for every
/// call).
type Candidates = SmallVec<[Candidate; CHAIN_LIMIT + 4]>;

/// Where a call puts explicit breakpoints: the end, the shared prefix, or
/// the segments the trace marked (rarely more than a few).
type Breakpoints = SmallVec<[Candidate; 4]>;

/// How a scope's cache behaves: the model's rules and the scenario's choices.
#[derive(Debug, Clone, Copy)]
struct ScopeRules {
    kind: CacheKind,
    min_tokens: u64,
    increment: u64,
    refresh_on_hit: bool,
    ttl_ms: i64,
    placement: Placement,
    shared_prefix: u64,
}

/// The cache of one scope.
#[derive(Debug)]
pub struct ScopeCache {
    rules: ScopeRules,
    /// Expiry (ms) of the prefixes any session may read, by content key.
    entries: HashMap<u64, i64>,
    sessions: HashMap<u64, SessionChain>,
    calls_since_sweep: u32,
    /// Calls between sweeps of expired entries and idle sessions.
    sweep_every: u32,
}

/// The key of the prefix every prompt of a scope shares.
fn shared_key(len: u64) -> u64 {
    let mut bytes = [0u8; 14];
    bytes[..6].copy_from_slice(b"shared");
    bytes[6..].copy_from_slice(&len.to_le_bytes());
    xxh3_64(&bytes)
}

/// Where one call stores and refreshes prefixes: the scope's map and its
/// session's chain.
struct Store<'a> {
    entries: &'a mut HashMap<u64, i64>,
    chain: Option<&'a mut SessionChain>,
    /// Where the entries pushed to the chain's list by this call begin:
    /// each list is in order, the whole maybe not.
    appended_at: Option<usize>,
}

impl<'a> Store<'a> {
    #[inline(always)]
    fn set(&mut self, c: &Candidate, expires_ms: i64) {
        match (c.slot, self.chain.as_mut()) {
            (Slot::Scope(key), _) => {
                self.entries.insert(key, expires_ms);
            }
            (Slot::Session(NOT_STORED), Some(chain)) => {
                // Pushed, not inserted: the indices the call's candidates
                // hold stay right until `finish`.
                self.appended_at.get_or_insert(chain.stored.len());
                chain.stored.push((c.end, expires_ms));
            }
            (Slot::Session(i), Some(chain)) => chain.stored[i].1 = expires_ms,
            (Slot::Session(_), None) | (Slot::Nowhere, _) => {}
        }
    }

    /// Puts the chain's list back in order, and now and then drops what
    /// has expired (which reads as absent anyway).
    fn finish(self, now_ms: i64) -> Option<&'a mut SessionChain> {
        let chain = self.chain?;
        if let Some(at) = self.appended_at {
            // Both parts are in order (candidates come shortest first): most
            // often the new ones are the longest, and nothing moves. A
            // stable sort merges the two runs in one pass otherwise.
            if at > 0 && chain.stored[at - 1].0 > chain.stored[at].0 {
                chain.stored.sort_by_key(|&(len, _)| len);
            }
            if chain.stored.len() > chain.prune_at.max(STORED_INLINE) {
                chain.stored.retain(|&mut (_, expires)| now_ms < expires);
                chain.prune_at = 2 * chain.stored.len();
            }
        }
        Some(chain)
    }
}

impl ScopeRules {
    /// Puts in `out` the prefixes of this prompt that may be cached,
    /// shortest first, each with its cached copy's expiry. Starts the
    /// session's chain over where its history was rewritten or it was idle
    /// past every TTL.
    fn candidates(
        &self,
        now_ms: i64,
        shape: &PromptShape,
        entries: &HashMap<u64, i64>,
        chain: Option<&mut SessionChain>,
        out: &mut Candidates,
    ) {
        let scope = |end: u64, key: u64, marked: bool| Candidate {
            end,
            slot: Slot::Scope(key),
            marked,
            expires_ms: entries.get(&key).copied().unwrap_or(NOT_CACHED),
        };
        if let Some(b) = &shape.boundaries {
            out.extend(b.iter().map(|b| scope(b.end, b.key, b.marked)));
            return;
        }
        // A prompt shorter than the shared prefix cannot contain all of it.
        let shared = if shape.tokens >= self.shared_prefix {
            self.shared_prefix
        } else {
            0
        };
        if shared > 0 {
            out.push(scope(shared, shared_key(shared), true));
        }
        let end = match chain {
            Some(chain) => {
                if shape.tokens < chain.last_prompt {
                    // The history was rewritten (compaction): old prefixes are stale.
                    chain.lengths.clear();
                }
                if now_ms >= chain.idle_from_ms {
                    // Idle past every TTL: the cache holds nothing of the
                    // session, and it is taken up afresh, as if new (the
                    // sweep may already have dropped it; see `sweep`).
                    chain.lengths.clear();
                    chain.stored.clear();
                    chain.prune_at = 0;
                }
                // The chain increases, so these come out shortest first;
                // so does the stored list, and one walk down it finds them.
                let first = chain.lengths.iter().find(|&&len| len > shared);
                let from = first.map_or(shape.tokens, |&len| len.min(shape.tokens));
                let mut stored = Stored::from(&chain.stored, from);
                for &len in &chain.lengths {
                    if len > shared && len < shape.tokens {
                        let (slot, expires_ms) = stored.find(len);
                        out.push(Candidate {
                            end: len,
                            slot,
                            marked: false,
                            expires_ms,
                        });
                    }
                }
                stored.find(shape.tokens)
            }
            // A call outside any session shares nothing beyond the shared prefix.
            None => (Slot::Nowhere, NOT_CACHED),
        };
        if shape.tokens > shared {
            out.push(Candidate {
                end: shape.tokens,
                slot: end.0,
                marked: false,
                expires_ms: end.1,
            });
        }
    }

    /// Where this call places explicit breakpoints.
    fn breakpoints(&self, shape: &PromptShape, candidates: &[Candidate]) -> Breakpoints {
        let Some(end) = candidates.last().copied() else {
            return Breakpoints::new();
        };
        if self.placement == Placement::End {
            return smallvec::smallvec![end];
        }
        let shared: Breakpoints = match shape.boundaries {
            Some(_) => {
                let marked: Breakpoints = candidates[..candidates.len() - 1]
                    .iter()
                    .filter(|x| x.marked)
                    .copied()
                    .collect();
                if !marked.is_empty() {
                    marked
                } else if candidates.len() > 1 {
                    smallvec::smallvec![candidates[0]]
                } else {
                    Breakpoints::new()
                }
            }
            None => candidates
                .iter()
                .filter(|c| c.end == self.shared_prefix && c.end < end.end)
                .copied()
                .collect(),
        };
        match self.placement {
            Placement::Shared => shared,
            Placement::End | Placement::Both => {
                let mut all = shared;
                all.push(end);
                all
            }
        }
    }

    fn round(&self, tokens: u64) -> u64 {
        tokens - tokens % self.increment
    }
}

impl ScopeCache {
    /// A cache with the model's rules, the scenario's TTL (the model's own
    /// default where it does not offer that TTL) and breakpoint placement.
    pub fn new(
        rules: &CacheRules,
        ttl: Ttl,
        placement: Placement,
        shared_prefix: u64,
    ) -> ScopeCache {
        ScopeCache {
            rules: ScopeRules {
                kind: rules.kind,
                min_tokens: rules.min_tokens,
                increment: rules.increment.max(1),
                refresh_on_hit: rules.refresh_on_hit,
                ttl_ms: effective_ttl(rules, ttl).seconds() * 1000,
                placement,
                shared_prefix,
            },
            entries: HashMap::new(),
            sessions: HashMap::new(),
            calls_since_sweep: 0,
            sweep_every: 4096,
        }
    }

    /// Simulates one call at time `now_ms` (milliseconds) and returns how its
    /// prompt is billed.
    pub fn call(&mut self, now_ms: i64, shape: &PromptShape) -> Outcome {
        let rules = self.rules;
        let prompt = shape.tokens;
        if rules.kind == CacheKind::None || prompt == 0 {
            return Outcome {
                input: prompt,
                ..Outcome::default()
            };
        }
        self.sweep(now_ms);
        // Segments name their prefixes, shared by any session; inferred
        // prefixes are the session's own.
        let mut chain = shape
            .session
            .filter(|_| shape.boundaries.is_none())
            .map(|s| self.sessions.entry(s).or_default());
        let mut candidates = Candidates::new();
        rules.candidates(
            now_ms,
            shape,
            &self.entries,
            chain.as_deref_mut(),
            &mut candidates,
        );
        // The longest live cached prefix: candidates come shortest first.
        let hit_end = candidates
            .iter()
            .rev()
            .find(|c| c.end <= prompt && c.is_live(now_ms))
            .map_or(0, |c| c.end);
        let mut read = hit_end;
        if rules.kind == CacheKind::Automatic {
            read = rules.round(read);
        }
        if read < rules.min_tokens {
            read = 0;
        }
        let expires = now_ms + rules.ttl_ms;
        let mut store = Store {
            entries: &mut self.entries,
            chain,
            appended_at: None,
        };
        if read > 0 && rules.refresh_on_hit {
            // Every live prefix up to the hit was used by this call.
            for c in candidates.iter().take_while(|c| c.end <= hit_end) {
                if c.is_live(now_ms) {
                    store.set(c, expires);
                }
            }
        }
        let mut write = 0;
        match rules.kind {
            CacheKind::Explicit => {
                let mut covered = read;
                for b in rules.breakpoints(shape, &candidates) {
                    if b.end <= covered || b.end < rules.min_tokens {
                        continue;
                    }
                    write += b.end - covered;
                    covered = b.end;
                    store.set(&b, expires);
                }
            }
            CacheKind::Automatic => {
                // Refreshing above only extended live prefixes: which are
                // live is as looked up.
                for c in &candidates {
                    if rules.round(c.end) >= rules.min_tokens && !c.is_live(now_ms) {
                        store.set(c, expires);
                    }
                }
            }
            CacheKind::None => {}
        }
        if let Some(chain) = store.finish(now_ms) {
            chain.last_prompt = prompt;
            chain.idle_from_ms = expires;
            if chain.lengths.last() != Some(&prompt) {
                if chain.lengths.len() == CHAIN_LIMIT {
                    chain.lengths.remove(0);
                }
                chain.lengths.push(prompt);
            }
        }
        Outcome {
            read,
            write,
            input: prompt - read - write,
        }
    }

    /// Drops expired entries and idle sessions now and then, so memory
    /// follows what is live, not every session ever seen.
    ///
    /// An idle session's prefixes have all expired, and `candidates` takes
    /// a session back afresh after such a gap, so dropping its chain here
    /// changes no outcome.
    fn sweep(&mut self, now_ms: i64) {
        self.calls_since_sweep += 1;
        if self.calls_since_sweep < self.sweep_every {
            return;
        }
        self.calls_since_sweep = 0;
        self.entries.retain(|_, &mut expires| now_ms < expires);
        self.sessions.retain(|_, c| now_ms < c.idle_from_ms);
    }
}

/// The TTL a scenario gets on a model: the one asked for if the model offers
/// it (automatic caches have no choice: their own TTL), else the model's default.
pub fn effective_ttl(rules: &CacheRules, wanted: Ttl) -> Ttl {
    let default = rules.ttls.first().copied().unwrap_or(Ttl::FIVE_MINUTES);
    match rules.kind {
        CacheKind::Explicit if rules.ttls.contains(&wanted) => wanted,
        _ => default,
    }
}

/// Whether writes at `ttl` are billed at the long-TTL write price.
pub fn is_long_ttl(rules: &CacheRules, ttl: Ttl) -> bool {
    rules.ttls.first().is_some_and(|first| ttl > *first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(kind: CacheKind, min: u64, increment: u64) -> CacheRules {
        CacheRules {
            kind,
            min_tokens: min,
            increment,
            ttls: vec![Ttl::FIVE_MINUTES, Ttl::ONE_HOUR],
            refresh_on_hit: true,
            storage_per_mtok_hour: None,
            source: None,
        }
    }

    fn session_prompt(tokens: u64) -> PromptShape {
        PromptShape {
            tokens,
            session: Some(7),
            boundaries: None,
        }
    }

    /// A cache with a 1,024-token minimum and `increment`, breakpoints at
    /// the prompt's end and no shared prefix, as most of these tests use.
    fn end_cache(kind: CacheKind, increment: u64, ttl: Ttl) -> ScopeCache {
        ScopeCache::new(&rules(kind, 1024, increment), ttl, Placement::End, 0)
    }

    const MIN: i64 = 60_000;

    #[test]
    fn growing_session_reads_the_previous_prompt() {
        let mut c = end_cache(CacheKind::Explicit, 1, Ttl::FIVE_MINUTES);
        assert_eq!(
            c.call(0, &session_prompt(25_000)),
            Outcome {
                read: 0,
                write: 25_000,
                input: 0
            }
        );
        assert_eq!(
            c.call(MIN, &session_prompt(27_000)),
            Outcome {
                read: 25_000,
                write: 2_000,
                input: 0
            }
        );
        assert_eq!(
            c.call(2 * MIN, &session_prompt(29_000)),
            Outcome {
                read: 27_000,
                write: 2_000,
                input: 0
            }
        );
    }

    #[test]
    fn idle_gap_beyond_ttl_rewrites() {
        let mut five = end_cache(CacheKind::Explicit, 1, Ttl::FIVE_MINUTES);
        five.call(0, &session_prompt(10_000));
        let after_gap = five.call(7 * MIN, &session_prompt(12_000));
        assert_eq!(
            after_gap,
            Outcome {
                read: 0,
                write: 12_000,
                input: 0
            }
        );
        let mut hour = end_cache(CacheKind::Explicit, 1, Ttl::ONE_HOUR);
        hour.call(0, &session_prompt(10_000));
        assert_eq!(hour.call(7 * MIN, &session_prompt(12_000)).read, 10_000);
    }

    #[test]
    fn hits_refresh_the_ttl() {
        let mut c = end_cache(CacheKind::Explicit, 1, Ttl::FIVE_MINUTES);
        c.call(0, &session_prompt(10_000));
        c.call(4 * MIN, &session_prompt(10_000));
        // 8 minutes after the write, 4 after the refreshing hit.
        assert_eq!(c.call(8 * MIN, &session_prompt(10_000)).read, 10_000);
    }

    #[test]
    fn below_minimum_nothing_is_cached() {
        let mut c = end_cache(CacheKind::Explicit, 1, Ttl::FIVE_MINUTES);
        assert_eq!(
            c.call(0, &session_prompt(1000)),
            Outcome {
                read: 0,
                write: 0,
                input: 1000
            }
        );
        assert_eq!(
            c.call(MIN, &session_prompt(1010)),
            Outcome {
                read: 0,
                write: 0,
                input: 1010
            }
        );
    }

    #[test]
    fn automatic_cache_rounds_to_increments_and_never_writes() {
        let mut c = end_cache(CacheKind::Automatic, 128, Ttl::FIVE_MINUTES);
        assert_eq!(
            c.call(0, &session_prompt(25_000)),
            Outcome {
                read: 0,
                write: 0,
                input: 25_000
            }
        );
        // 25,000 = 195 × 128 + 40: 24,960 tokens are read.
        assert_eq!(
            c.call(MIN, &session_prompt(27_000)),
            Outcome {
                read: 24_960,
                write: 0,
                input: 2_040
            }
        );
    }

    #[test]
    fn a_session_idle_past_the_ttl_starts_over() {
        let mut c = end_cache(CacheKind::Automatic, 128, Ttl::FIVE_MINUTES);
        // Prompts of whole 128-token increments (10,240 = 80 × 128, 20,480 =
        // 160 × 128, 30,720 = 240 × 128), so a hit reads all of one.
        c.call(0, &session_prompt(10_240));
        c.call(MIN, &session_prompt(20_480));
        // Back after an hour: nothing is cached, and the 10,240 and 20,480
        // token prefixes of the session's old life are forgotten...
        assert_eq!(c.call(60 * MIN, &session_prompt(30_720)).read, 0);
        // ...so a prompt rewritten down to one of those lengths reads
        // nothing, while one of the new life (30,720 tokens) is read.
        assert_eq!(c.call(61 * MIN, &session_prompt(20_480)).read, 0);
        assert_eq!(c.call(62 * MIN, &session_prompt(30_720)).read, 30_720);
        let mut d = end_cache(CacheKind::Automatic, 128, Ttl::FIVE_MINUTES);
        d.call(0, &session_prompt(10_240));
        d.call(MIN, &session_prompt(20_480));
        d.call(2 * MIN, &session_prompt(30_720));
        // Within the TTL, a rewrite down to an earlier prompt's exact length
        // is taken for a retry of it, and read.
        assert_eq!(d.call(3 * MIN, &session_prompt(20_480)).read, 20_480);
    }

    #[test]
    fn a_busy_session_keeps_what_is_live_not_every_prefix() {
        let mut c = end_cache(CacheKind::Explicit, 1, Ttl::FIVE_MINUTES);
        // A call a second for an hour and a half, each storing its prompt
        // (100 tokens longer each time) and reading the one before: 300 s of
        // TTL, so about 300 are live at any time.
        for i in 0..5_400u64 {
            let o = c.call(i as i64 * 1000, &session_prompt(2_000 + 100 * i));
            if i > 0 {
                assert_eq!(o.read, 2_000 + 100 * (i - 1));
            }
        }
        let stored = c.sessions[&7].stored.len();
        assert!(
            (300..=2 * 310 + STORED_INLINE).contains(&stored),
            "{stored}"
        );
    }

    #[test]
    fn shared_prefix_is_shared_across_sessions() {
        let mut c = ScopeCache::new(
            &rules(CacheKind::Explicit, 1024, 1),
            Ttl::FIVE_MINUTES,
            Placement::Both,
            4000,
        );
        let a = PromptShape {
            tokens: 6000,
            session: Some(1),
            boundaries: None,
        };
        let b = PromptShape {
            tokens: 5000,
            session: Some(2),
            boundaries: None,
        };
        assert_eq!(
            c.call(0, &a),
            Outcome {
                read: 0,
                write: 6000,
                input: 0
            }
        );
        assert_eq!(
            c.call(MIN, &b),
            Outcome {
                read: 4000,
                write: 1000,
                input: 0
            }
        );
    }

    #[test]
    fn segments_match_only_on_the_same_ids() {
        let seg = |ids: &[(&str, u64)]| {
            let call = Call {
                ts: chrono::DateTime::UNIX_EPOCH,
                provider: None,
                model: "m".into(),
                account: "a".into(),
                session: None,
                step: None,
                tags: Default::default(),
                usage: crate::record::Usage {
                    input: ids.iter().map(|x| x.1).sum(),
                    ..Default::default()
                },
                segments: Some(
                    ids.iter()
                        .map(|(id, t)| crate::record::Segment {
                            id: Some(id.to_string()),
                            tokens: *t,
                            cache: None,
                        })
                        .collect(),
                ),
                batch: false,
                success: None,
                latency_ms: None,
                prompt_hash: None,
                id: None,
                billed: None,
                options: Default::default(),
                requests: 1,
                undated: false,
                format: "",
            };
            PromptShape::of(&call, 0)
        };
        let mut c = ScopeCache::new(
            &rules(CacheKind::Explicit, 1024, 1),
            Ttl::FIVE_MINUTES,
            Placement::Both,
            0,
        );
        c.call(0, &seg(&[("sys", 3000), ("u1", 500)]));
        assert_eq!(c.call(MIN, &seg(&[("sys", 3000), ("u2", 700)])).read, 3000);
        // A system prompt whose id changes (a timestamp in it) never hits.
        let mut d = ScopeCache::new(
            &rules(CacheKind::Explicit, 1024, 1),
            Ttl::FIVE_MINUTES,
            Placement::Both,
            0,
        );
        d.call(0, &seg(&[("sys@1", 3000), ("u1", 500)]));
        assert_eq!(d.call(MIN, &seg(&[("sys@2", 3000), ("u1", 500)])).read, 0);
    }

    mod properties {
        use super::*;
        use crate::money::Money;
        use crate::pricing::load_embedded;
        use crate::record::Usage;
        use proptest::prelude::*;

        fn any_kind() -> impl Strategy<Value = CacheKind> {
            prop_oneof![Just(CacheKind::Explicit), Just(CacheKind::Automatic)]
        }

        proptest! {
            /// Reads and writes never exceed the prompt, whatever the traffic.
            #[test]
            fn hits_never_exceed_the_prompt(
                kind in any_kind(),
                calls in proptest::collection::vec((0u64..4, 0u64..200_000, 0i64..900_000), 1..60),
                shared in 0u64..5000,
                placement in prop_oneof![Just(Placement::End), Just(Placement::Shared), Just(Placement::Both)],
            ) {
                let mut cache = ScopeCache::new(&rules(kind, 1024, 128), Ttl::FIVE_MINUTES, placement, shared);
                let mut now = 0;
                for (session, tokens, gap) in calls {
                    now += gap;
                    let o = cache.call(now, &PromptShape { tokens, session: Some(session), boundaries: None });
                    prop_assert!(o.read <= tokens);
                    prop_assert_eq!(o.read + o.write + o.input, tokens);
                    if kind == CacheKind::Automatic {
                        prop_assert_eq!(o.write, 0);
                        prop_assert_eq!(o.read % 128, 0);
                    }
                }
            }

            /// Sweeping changes no outcome: a cache swept before every call
            /// answers as one never swept.
            #[test]
            fn sweeping_changes_nothing(
                kind in any_kind(),
                refresh in any::<bool>(),
                // (session, prompt growth, gap): prompts mostly grow, now and
                // then shrink (a compaction); gaps around the TTL.
                calls in proptest::collection::vec((0usize..4, -3_000i64..9_000, prop_oneof![0i64..400_000, Just(300_000i64)]), 1..80),
                shared in prop_oneof![Just(0u64), 0u64..5000],
                placement in prop_oneof![Just(Placement::End), Just(Placement::Shared), Just(Placement::Both)],
            ) {
                let mut r = rules(kind, 1024, 128);
                r.refresh_on_hit = refresh;
                let mut swept = ScopeCache::new(&r, Ttl::FIVE_MINUTES, placement, shared);
                swept.sweep_every = 1;
                let mut kept = ScopeCache::new(&r, Ttl::FIVE_MINUTES, placement, shared);
                kept.sweep_every = u32::MAX;
                let mut now = 0;
                let mut prompts = [0u64; 4];
                for (session, growth, gap) in calls {
                    now += gap;
                    prompts[session] = prompts[session].saturating_add_signed(growth);
                    let shape = PromptShape { tokens: prompts[session], session: Some(session as u64), boundaries: None };
                    prop_assert_eq!(swept.call(now, &shape), kept.call(now, &shape));
                }
            }

            /// Growing sessions with no idle gap where every written prefix is
            /// read at least twice: caching never costs more than no caching.
            #[test]
            fn caching_with_two_reads_per_write_never_costs_more(
                model in prop_oneof![Just("claude-sonnet-4-5"), Just("claude-haiku-4-5"), Just("gpt-5"), Just("gemini-2.5-pro"), Just("deepseek-chat")],
                start in 1024u64..60_000,
                steps in proptest::collection::vec((0u64..5_000, 0i64..120_000), 1..12),
                ttl in prop_oneof![Just(Ttl::FIVE_MINUTES), Just(Ttl::ONE_HOUR)],
            ) {
                let catalog = load_embedded().unwrap();
                let m = catalog.resolve(model).unwrap();
                let mut cache = ScopeCache::new(&m.cache, ttl, Placement::End, 0);
                let long = is_long_ttl(&m.cache, effective_ttl(&m.cache, ttl));
                let day = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc();
                let (mut cached, mut off) = (Money::ZERO, Money::ZERO);
                let mut now = 0;
                let mut prompt = start;
                for (growth, gap) in steps {
                    prompt += growth;
                    // Each prompt is sent three times: written once, read twice.
                    for _ in 0..3 {
                        now += gap.min(240_000);
                        let o = cache.call(now, &PromptShape { tokens: prompt, session: Some(1), boundaries: None });
                        let usage = Usage {
                            input: o.input,
                            cache_read: o.read,
                            cache_write_5m: if long { 0 } else { o.write },
                            cache_write_1h: if long { o.write } else { 0 },
                            ..Usage::default()
                        };
                        cached += m.price(&usage, 1, false, &Default::default(), crate::pricing::PricingDate::AtCall, day).cost;
                        let plain = Usage { input: prompt, ..Usage::default() };
                        off += m.price(&plain, 1, false, &Default::default(), crate::pricing::PricingDate::AtCall, day).cost;
                    }
                }
                prop_assert!(cached <= off, "cached {:?} > off {:?}", cached, off);
            }
        }
    }
}
