//! `light-client follow` and `balance`: every update verified with the
//! `no_std` verifier, every balance against the verified root.

use super::*;
use stateproof_circuits::ledger::LedgerRoots;
use stateproof_verifier::spec::NEW_ROOT;
use std::collections::BTreeMap;

/// What a light client keeps between runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClientFile {
    /// Always [`CLIENT_KIND`].
    pub kind: String,
    /// The circuit followed.
    pub circuit: String,
    /// Its account tree's depth.
    pub depth: usize,
    /// The verifying key, hex (stateproof's format).
    pub vk: String,
    /// The genesis root it started from.
    pub genesis_root: String,
    /// The last verified root.
    pub root: String,
    /// The next update's number.
    pub next_update: u64,
    /// The verifying keys of the ledger's other circuits (deals,
    /// sponsorships), hex, by circuit id: updates of every kind move the
    /// one root followed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ledger_keys: BTreeMap<String, String>,
    /// The deal tree's depth (0 in files made before it was kept).
    #[serde(default)]
    pub deal_depth: usize,
    /// The member tree's depth (0 in files made before it was kept).
    #[serde(default)]
    pub member_depth: usize,
}

/// What a light-client state file says it is.
pub const CLIENT_KIND: &str = "stateproof transfer light client";

/// A light client over a node: its verified root and where it goes next.
pub struct Follower {
    client: NodeClient,
    light: LightClient,
    file: ClientFile,
    path: PathBuf,
}

/// What `light-client follow` did.
#[derive(Clone, Debug, Serialize)]
pub struct FollowReport {
    /// Updates verified and applied in this run.
    pub accepted: u64,
    /// The verified root now.
    pub root: String,
    /// The next update's number.
    pub next_update: u64,
    /// The client started from the node's word for genesis (no --genesis).
    pub trusted_node_for_genesis: bool,
    /// Why an update was rejected, if one was (the client kept its root).
    pub rejected: Option<String>,
    /// With `--finality`: the final height the updates were followed to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_height: Option<u64>,
}

impl fmt::Display for FollowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.trusted_node_for_genesis {
            writeln!(f, "warning: genesis taken from the node itself (pass --genesis genesis.json to check it)")?;
        }
        if let Some(h) = self.final_height {
            writeln!(f, "followed to final height {h} (finality proofs verified)")?;
        }
        match &self.rejected {
            None => write!(
                f,
                "verified {} updates; root {} (next update {})",
                self.accepted, self.root, self.next_update
            ),
            Some(r) => write!(
                f,
                "REJECTED update {}: {r}; kept root {} after {} verified updates",
                self.next_update, self.root, self.accepted
            ),
        }
    }
}

impl Follower {
    /// Opens the state file, or starts one from `genesis` (or, without it,
    /// from the node's word, reported as such).
    pub fn open(node: &str, path: &Path, genesis: Option<&Path>) -> Result<(Self, bool)> {
        let client = NodeClient::new(node)?;
        let bad = |why: String| AppError::unusable(format!("{}: {why}", path.display()));
        let (file, trusted) = if path.exists() {
            let file: ClientFile = read_json(path)?;
            if file.kind != CLIENT_KIND {
                return Err(bad(format!("kind: expected {CLIENT_KIND:?}")));
            }
            (file, false)
        } else {
            let vk = client.verifying_key()?;
            let (root, fingerprint, depths, ledger, trusted) = match genesis {
                Some(g) => {
                    let gen = Genesis::read(g)?;
                    gen.root_fr(g)?;
                    let ledger = gen.ledger.map(|l| l.keys).unwrap_or_default();
                    let depths = [gen.depth, gen.deal_depth, gen.member_depth];
                    (gen.root, gen.vk_fingerprint, depths, ledger, false)
                }
                None => {
                    let s = client.status()?;
                    let depths = [s.depth, s.deal_depth, s.member_depth].map(|d| d as usize);
                    (s.genesis_root, s.vk_fingerprint, depths, s.ledger_keys, true)
                }
            };
            let [depth, deal_depth, member_depth] = depths;
            let mut ledger_keys = BTreeMap::new();
            for (circuit, fingerprint) in &ledger {
                let key = client.trusted_key(circuit, fingerprint)?;
                ledger_keys.insert(circuit.clone(), hex::encode(key.to_bytes()));
            }
            if hex32(&vk.fingerprint()) != fingerprint {
                return Err(AppError::invalid(format!(
                    "{}: the node's verifying key ({}) is not the genesis's ({fingerprint})",
                    client.url(),
                    hex32(&vk.fingerprint())
                )));
            }
            let file = ClientFile {
                kind: CLIENT_KIND.into(),
                circuit: stateproof_verifier::spec::TRANSFER_BATCH.id.into(),
                depth,
                vk: hex::encode(vk.to_bytes()),
                genesis_root: root.clone(),
                root,
                next_update: 1,
                ledger_keys,
                deal_depth,
                member_depth,
            };
            (file, trusted)
        };
        let vk_bytes = hex::decode(&file.vk).map_err(|e| bad(format!("vk: {e}")))?;
        let vk = VerifyingKey::from_bytes(&vk_bytes).map_err(|e| bad(format!("vk: {e}")))?;
        let root = parse_fr(&file.root).map_err(|e| bad(format!("root: {e}")))?;
        let mut keys = vec![vk];
        for (circuit, hex_key) in &file.ledger_keys {
            let what = format!("ledger_keys.{circuit}");
            let bytes = hex::decode(hex_key).map_err(|e| bad(format!("{what}: {e}")))?;
            let key = VerifyingKey::from_bytes(&bytes).map_err(|e| bad(format!("{what}: {e}")))?;
            if key.circuit_id != *circuit {
                return Err(bad(format!("{what}: a key of the {} circuit", key.circuit_id)));
            }
            keys.push(key);
        }
        let light = LightClient::with_keys(keys, root).map_err(|e| bad(format!("keys: {e}")))?;
        Ok((Self { client, light, file, path: path.to_path_buf() }, trusted))
    }

    /// The verified root.
    pub fn root(&self) -> Fr {
        self.light.root()
    }

    /// The node.
    pub fn node(&self) -> &NodeClient {
        &self.client
    }

    /// Fetches and verifies every update the node has from the next one on,
    /// each page's proofs in one batched pairing check, saving the state
    /// after each page; stops at the first bad update.
    pub fn follow(&mut self, trusted: bool) -> Result<FollowReport> {
        self.follow_to(trusted, None)
    }

    /// [`Follower::follow`], with `until = (height, root)` only as far as
    /// update `height`, whose new root must be `root` (a finalised one).
    pub fn follow_to(&mut self, trusted: bool, until: Option<(u64, Fr)>) -> Result<FollowReport> {
        let mut accepted = 0;
        let rejected = loop {
            if until.is_some_and(|(h, _)| self.file.next_update > h) {
                break None;
            }
            let mut page = self.client.updates(self.file.next_update)?.updates;
            if let Some((h, _)) = until {
                page.retain(|u| u.n <= h);
            }
            if page.is_empty() {
                break None;
            }
            let (applied, rejected) = self.apply_page(&page, until);
            accepted += applied;
            if applied > 0 {
                self.save()?;
            }
            if rejected.is_some() {
                break rejected;
            }
        };
        Ok(FollowReport {
            accepted,
            root: self.file.root.clone(),
            next_update: self.file.next_update,
            trusted_node_for_genesis: trusted,
            rejected,
            final_height: until.map(|(h, _)| h),
        })
    }

    /// Applies a page in order: how many were applied, and why the next
    /// was not, if one was not.
    fn apply_page(
        &mut self,
        page: &[UpdateView],
        until: Option<(u64, Fr)>,
    ) -> (u64, Option<String>) {
        let mut parsed = Vec::with_capacity(page.len());
        let mut refused = None;
        for (u, n) in page.iter().zip(self.file.next_update..) {
            let checked = parse_update(u, n).and_then(|update| match until {
                // The update at the final height must end at its final root
                // (its proof, checked below, makes the input authentic).
                Some((h, root)) if n == h && update.input(NEW_ROOT).ok() != Some(root) => Err(
                    format!("update {n}'s new root is not the state root finalised at height {h}"),
                ),
                _ => Ok(update),
            });
            match checked {
                Ok(update) => parsed.push(update),
                Err(why) => {
                    refused = Some(why);
                    break;
                }
            }
        }
        let done = self.light.catch_up(&parsed);
        let applied = done.accepted.len() as u64;
        if let Some(root) = done.accepted.last() {
            self.file.root = fr(root);
            self.file.next_update += applied;
        }
        let rejected = match done.rejected {
            Some((_, e)) => Some(e.to_string()),
            None => refused,
        };
        (applied, rejected)
    }

    fn save(&self) -> Result<()> {
        write_json(&self.path, &self.file)
    }
}

/// Parses the node's update view `u`, which must be update `n`.
fn parse_update(u: &UpdateView, n: u64) -> std::result::Result<CompressedUpdate, String> {
    if u.n != n {
        return Err(format!("the node sent update {} for {n}", u.n));
    }
    let bytes = hex::decode(&u.update_hex).map_err(|e| format!("update_hex: {e}"))?;
    CompressedUpdate::from_bytes(&bytes).map_err(|e| e.to_string())
}

/// Follows a node into a state file; with `finality` (a finality client's
/// state file, made from `genesis` on first use), only as far as the final
/// height, whose root must be the finalised one.
pub fn follow(
    node: &str,
    state: &Path,
    genesis: Option<&Path>,
    finality: Option<&Path>,
) -> Result<FollowReport> {
    let (mut f, trusted) = Follower::open(node, state, genesis)?;
    let until = match finality {
        Some(path) => Some(super::final_root(f.node(), path, genesis)?),
        None => None,
    };
    let report = f.follow_to(trusted, until)?;
    if let Some(r) = &report.rejected {
        return Err(AppError::invalid(format!("{}: {r}", f.node().url())));
    }
    Ok(report)
}

/// What `light-client balance` found.
#[derive(Clone, Debug, Serialize)]
pub struct BalanceReport {
    /// The account.
    pub index: u64,
    /// Its balance at the verified root (0 for an empty leaf).
    pub balance: u64,
    /// Its nonce there.
    pub nonce: u64,
    /// Whether the leaf is empty.
    pub empty: bool,
    /// The verified root the Merkle path leads to.
    pub root: String,
    /// The update that root is after.
    pub update: u64,
}

impl fmt::Display for BalanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.empty {
            write!(
                f,
                "account {}: empty (verified against root {} of update {})",
                self.index, self.root, self.update
            )
        } else {
            write!(
                f,
                "account {}: balance {} nonce {} (verified against root {} of update {})",
                self.index, self.balance, self.nonce, self.root, self.update
            )
        }
    }
}

/// Follows the node, then asks it for a view (`get`: the view and the
/// update it is of) until the view is of the verified root's update (the
/// node may prove more meanwhile).
fn at_verified_root<T>(
    node: &str,
    state: &Path,
    genesis: Option<&Path>,
    get: impl Fn(&NodeClient) -> Result<(u64, T)>,
) -> Result<(Follower, T)> {
    let (mut f, trusted) = Follower::open(node, state, genesis)?;
    for _ in 0..3 {
        let report = f.follow(trusted)?;
        if let Some(r) = report.rejected {
            return Err(AppError::invalid(format!("{}: {r}", f.node().url())));
        }
        let (update, view) = get(f.node())?;
        if update.checked_add(1) == Some(f.file.next_update) {
            return Ok((f, view));
        }
    }
    Err(AppError::invalid(format!("{}: the node kept moving; try again", f.node().url())))
}

/// Checks that `leaf` at `index` with `siblings` (a tree of `depth`, so
/// exactly that many) and the ledger's other two roots lead to the
/// verified root; `roots` places the tree's root among them. A depth of 0
/// (a state file made before the deal and member depths were kept) is
/// refused rather than taking the node's word for the path's length.
fn leads_to_root(
    f: &Follower,
    what: &str,
    (index, leaf, depth): (u64, Fr, usize),
    siblings: &[String],
    roots: impl FnOnce(Fr) -> LedgerRoots,
) -> Result<()> {
    let url = f.node().url();
    if depth == 0 {
        return Err(AppError::unusable(format!(
            "{}: the state file does not know the tree's depth (made by an older client); \
             start a new one from genesis.json",
            f.path.display()
        )));
    }
    let siblings = siblings
        .iter()
        .map(|s| parse_fr(s))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| AppError::invalid(format!("{url}: siblings: {e}")))?;
    let fits = siblings.len() == depth;
    let proof = MerkleProof { index, siblings };
    if !fits || roots(proof.root_for(leaf)).root() != f.root() {
        return Err(AppError::invalid(format!(
            "{url}: {what}'s Merkle path does not lead to the verified root"
        )));
    }
    Ok(())
}

fn part(f: &Follower, s: &str, what: &str) -> Result<Fr> {
    parse_fr(s).map_err(|e| AppError::invalid(format!("{}: {what}: {e}", f.node().url())))
}

/// Follows the node, then checks the account's Merkle path against the
/// verified root.
pub fn balance(
    node: &str,
    state: &Path,
    genesis: Option<&Path>,
    index: u64,
) -> Result<BalanceReport> {
    let (f, view) =
        at_verified_root(node, state, genesis, |c| c.account(index).map(|v| (v.update, v)))?;
    let account =
        view.account.as_ref().map(|_| account_of(&view.account, "account")).transpose()?;
    let (deals, members) =
        (part(&f, &view.deals_root, "deals_root")?, part(&f, &view.members_root, "members_root")?);
    let leaf = account.map_or(Fr::from(0u64), |a| a.leaf());
    let what = format!("account {index}");
    leads_to_root(&f, &what, (index, leaf, f.file.depth), &view.siblings, |accounts| {
        LedgerRoots { accounts, deals, members }
    })?;
    Ok(BalanceReport {
        index,
        balance: account.map_or(0, |a| a.balance),
        nonce: account.map_or(0, |a| a.nonce),
        empty: account.is_none(),
        root: fr(&f.root()),
        update: view.update,
    })
}

/// What `light-client deal` found.
#[derive(Clone, Debug, Serialize)]
pub struct DealReport {
    /// The deal id.
    pub id: u64,
    /// Whether the leaf is empty (no such deal).
    pub empty: bool,
    /// Its terms.
    pub terms: Option<stateproof_circuits::compute::DealJson>,
    /// `open`, `mediating`, `decided` or `settled`.
    pub status: Option<String>,
    /// Each node's result on the record.
    pub results: Vec<Option<String>>,
    /// The mediators' verdict, once recorded.
    pub verdict: Option<String>,
    /// The verified root the Merkle path leads to.
    pub root: String,
    /// The update that root is after.
    pub update: u64,
}

impl fmt::Display for DealReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.terms, &self.status) {
            (Some(t), Some(status)) => {
                let results: Vec<&str> =
                    self.results.iter().map(|r| r.as_deref().unwrap_or("-")).collect();
                write!(
                    f,
                    "deal {}: {status}, client {}, nodes {:?}, results [{}]",
                    self.id,
                    t.client,
                    t.nodes,
                    results.join(", ")
                )?;
                if let Some(v) = &self.verdict {
                    write!(f, ", verdict {v}")?;
                }
            }
            _ => write!(f, "deal {}: empty", self.id)?,
        }
        write!(f, " (verified against root {} of update {})", self.root, self.update)
    }
}

/// Follows the node, then checks deal `id`'s leaf (its terms, status,
/// record and verdict) and Merkle path against the verified root.
pub fn deal(node: &str, state: &Path, genesis: Option<&Path>, id: u64) -> Result<DealReport> {
    use stateproof_circuits::compute::{deal_leaf, DealStatus};
    let (f, view) = at_verified_root(node, state, genesis, |c| c.deal(id).map(|v| (v.update, v)))?;
    let url = f.node().url().to_string();
    let bad = |what: &str, e: &dyn fmt::Display| AppError::invalid(format!("{url}: {what}: {e}"));
    let leaf = match (&view.terms, view.status.as_deref()) {
        (None, None) if view.results.is_empty() && view.verdict.is_none() => Fr::from(0u64),
        (Some(terms), Some(status)) => {
            let d = terms.to_deal().map_err(|e| bad("terms", &e))?;
            let status = match status {
                "open" => DealStatus::Open,
                "mediating" => DealStatus::Mediating,
                "decided" => DealStatus::Decided,
                "settled" => DealStatus::Settled,
                other => return Err(bad("status", &format!("{other:?} is not a deal status"))),
            };
            if d.id != id || view.results.len() != d.nodes.len() {
                return Err(bad("terms", &"not the deal asked for, or a record of another size"));
            }
            let results = view
                .results
                .iter()
                .map(|r| r.as_deref().map(parse_fr).transpose())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| bad("results", &e))?;
            let verdict = match &view.verdict {
                Some(v) => part(&f, v, "verdict")?,
                None => Fr::from(0u64),
            };
            deal_leaf(d.hash(), status, &results, verdict)
        }
        _ => return Err(bad("deal", &"an empty leaf with fields, or terms without a status")),
    };
    let (accounts, members) = (
        part(&f, &view.accounts_root, "accounts_root")?,
        part(&f, &view.members_root, "members_root")?,
    );
    let what = format!("deal {id}");
    leads_to_root(&f, &what, (id, leaf, f.file.deal_depth), &view.siblings, |deals| LedgerRoots {
        accounts,
        deals,
        members,
    })?;
    Ok(DealReport {
        id,
        empty: view.terms.is_none(),
        terms: view.terms,
        status: view.status,
        results: view.results,
        verdict: view.verdict,
        root: fr(&f.root()),
        update: view.update,
    })
}

/// What `light-client member` found.
#[derive(Clone, Debug, Serialize)]
pub struct MemberReport {
    /// The member index.
    pub index: u64,
    /// The member (`None`: an empty leaf).
    pub member: Option<crate::wire::MemberFields>,
    /// The verified root the Merkle path leads to.
    pub root: String,
    /// The update that root is after.
    pub update: u64,
}

impl fmt::Display for MemberReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.member {
            None => write!(f, "member {}: empty", self.index)?,
            Some(m) => {
                write!(f, "member {}: suspended until epoch {}", self.index, m.suspended_until)?;
                match m.last_period {
                    Some(p) => write!(f, ", last sponsored in period {p}")?,
                    None => write!(f, ", never sponsored")?,
                }
                if m.pending != "0" {
                    write!(f, ", a commitment pending")?;
                }
            }
        }
        write!(f, " (verified against root {} of update {})", self.root, self.update)
    }
}

/// Follows the node, then checks member `index`'s leaf and Merkle path
/// against the verified root.
pub fn member(
    node: &str,
    state: &Path,
    genesis: Option<&Path>,
    index: u64,
) -> Result<MemberReport> {
    use stateproof_circuits::trust::Member;
    let (f, view) =
        at_verified_root(node, state, genesis, |c| c.member(index).map(|v| (v.update, v)))?;
    let leaf = match &view.member {
        None => Fr::from(0u64),
        Some(m) => {
            let url = f.node().url();
            let public_key = key_from_strings(&m.public_key)
                .map_err(|e| AppError::invalid(format!("{url}: public_key: {e}")))?;
            let pending = part(&f, &m.pending, "pending")?;
            Member {
                public_key,
                suspended_until: m.suspended_until,
                last_period: m.last_period,
                pending,
            }
            .leaf()
        }
    };
    let (accounts, deals) = (
        part(&f, &view.accounts_root, "accounts_root")?,
        part(&f, &view.deals_root, "deals_root")?,
    );
    let what = format!("member {index}");
    leads_to_root(&f, &what, (index, leaf, f.file.member_depth), &view.siblings, |members| {
        LedgerRoots { accounts, deals, members }
    })?;
    Ok(MemberReport { index, member: view.member, root: fr(&f.root()), update: view.update })
}
