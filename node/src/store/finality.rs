//! Finality as the store keeps it: validators' attestations of headers and
//! the finality proofs made from them. Headers themselves are not stored:
//! header `h` follows from proven update `h`'s new root ([`Store::new_roots`]).

use super::*;

/// A height's finality proof as stored.
#[derive(Clone, Debug)]
pub struct FinalityRecord {
    /// The header's height.
    pub height: u64,
    /// Its hash.
    pub header_hash: Fr,
    /// The finality-quorum update.
    pub bytes: Vec<u8>,
    /// Attestations it carries.
    pub signers: u64,
}

/// What changed a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// A proven double sign: the offender's stake to 0.
    Slash,
    /// A new set signed by a quorum of the current one.
    Quorum,
}

impl ChangeKind {
    /// Its name in the store and the API.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Slash => "slash",
            ChangeKind::Quorum => "quorum",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [ChangeKind::Slash, ChangeKind::Quorum].into_iter().find(|k| k.name() == s)
    }
}

/// A request to change the set, as kept until it is proven.
#[derive(Clone, Debug)]
pub struct ChangeRequest {
    /// Its order of arrival.
    pub seq: i64,
    /// What it asks.
    pub kind: ChangeKind,
    /// Its body (`EvidenceJson` or the API's set-change body).
    pub body: String,
}

/// A set change a proof made.
#[derive(Clone, Debug)]
pub struct SetChange {
    /// Headers from this height on name the set next.
    pub from_height: u64,
    /// What made it.
    pub kind: ChangeKind,
    /// The validator slashed, for a slashing.
    pub offender: Option<u64>,
    /// The set after, as `SetJson` text.
    pub set_json: String,
    /// The double-sign-slash update that proves it.
    pub bytes: Vec<u8>,
}

impl Store {
    /// Keeps a request to change the set (checked by the caller) for the
    /// finality thread.
    pub async fn insert_change_request(
        &self,
        kind: ChangeKind,
        offender: Option<u64>,
        body: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO evidence (kind, offender, body, received_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(kind.name())
        .bind(offender.map(int))
        .bind(body)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(|e| self.error("storing a set-change request", e))
    }

    /// Requests not yet dealt with, oldest first.
    pub async fn pending_changes(&self) -> Result<Vec<ChangeRequest>> {
        let rows = sqlx::query("SELECT seq, kind, body FROM evidence WHERE done = 0 ORDER BY seq")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error("reading set-change requests", e))?;
        rows.into_iter()
            .map(|r| {
                let kind: String = r.get(1);
                let kind = ChangeKind::parse(&kind)
                    .ok_or_else(|| self.error("evidence.kind", format!("unknown kind {kind:?}")))?;
                Ok(ChangeRequest { seq: r.get(0), kind, body: r.get(2) })
            })
            .collect()
    }

    /// Marks a request dealt with (refused when its turn came).
    pub async fn change_done(&self, seq: i64) -> Result<()> {
        sqlx::query("UPDATE evidence SET done = 1 WHERE seq = $1")
            .bind(seq)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| self.error("marking evidence", e))
    }

    /// Records a set change and marks its request dealt with, in one
    /// transaction.
    pub async fn insert_set_change(&self, c: &SetChange, request: i64) -> Result<()> {
        let e = |e| self.error("storing a set change", e);
        let mut tx = self.begin().await.map_err(e)?;
        sqlx::query(
            "INSERT INTO set_changes (from_height, kind, offender, set_json, update_bytes, made_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(int(c.from_height))
        .bind(c.kind.name())
        .bind(c.offender.map(int))
        .bind(&c.set_json)
        .bind(&c.bytes)
        .bind(now_ms())
        .execute(&mut *tx)
        .await
        .map_err(e)?;
        sqlx::query("UPDATE evidence SET done = 1 WHERE seq = $1")
            .bind(request)
            .execute(&mut *tx)
            .await
            .map_err(e)?;
        tx.commit().await.map_err(e)
    }

    /// Every set change, in height order.
    pub async fn set_changes(&self) -> Result<Vec<SetChange>> {
        let rows = sqlx::query(
            "SELECT from_height, kind, offender, set_json, update_bytes FROM set_changes ORDER BY from_height",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error("reading set changes", e))?;
        rows.into_iter()
            .map(|r| {
                let kind: String = r.get(1);
                let kind = ChangeKind::parse(&kind).ok_or_else(|| {
                    self.error("set_changes.kind", format!("unknown kind {kind:?}"))
                })?;
                let offender: Option<i64> = r.get(2);
                Ok(SetChange {
                    from_height: uint(r.get(0)),
                    kind,
                    offender: offender.map(uint),
                    set_json: r.get(3),
                    bytes: r.get(4),
                })
            })
            .collect()
    }

    /// The new roots of proven updates `from` to `from + limit - 1`, in
    /// order (fewer at the end of the chain).
    pub async fn new_roots(&self, from: u64, limit: u32) -> Result<Vec<(u64, Fr)>> {
        let rows = sqlx::query(
            "SELECT n, new_root FROM batches WHERE n >= $1 AND proven_at IS NOT NULL ORDER BY n LIMIT $2",
        )
        .bind(int(from.min(i64::MAX as u64)))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error("reading proven roots", e))?;
        rows.into_iter()
            .map(|r| Ok((uint(r.get(0)), self.fr_at(r.get(1), "batches.new_root")?)))
            .collect()
    }

    /// Keeps a validator's attestation of the header at `height` unless it
    /// has one there already; returns the header hash of the one kept (so a
    /// second, different header from one validator shows).
    pub async fn insert_attestation(
        &self,
        height: u64,
        index: u64,
        header_hash: &Fr,
        body: &str,
    ) -> Result<Fr> {
        let e = |e| self.error("storing an attestation", e);
        sqlx::query(
            "INSERT INTO attestations (height, idx, header_hash, body, received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (height, idx) DO NOTHING",
        )
        .bind(int(height))
        .bind(int(index))
        .bind(fr_bytes(header_hash))
        .bind(body)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(e)?;
        let kept: Vec<u8> = sqlx::query_scalar(
            "SELECT header_hash FROM attestations WHERE height = $1 AND idx = $2",
        )
        .bind(int(height))
        .bind(int(index))
        .fetch_one(&self.pool)
        .await
        .map_err(e)?;
        self.fr_at(kept, "attestations.header_hash")
    }

    /// The attestations of the header `header_hash` at `height`, as kept,
    /// by validator index.
    pub async fn attestations_at(&self, height: u64, header_hash: &Fr) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT body FROM attestations WHERE height = $1 AND header_hash = $2 ORDER BY idx",
        )
        .bind(int(height))
        .bind(fr_bytes(header_hash))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error("reading attestations", e))
    }

    /// Stores a height's finality proof (once: a second one for a height
    /// is ignored).
    pub async fn insert_finality(&self, r: &FinalityRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO finality (height, header_hash, update_bytes, signers, proven_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (height) DO NOTHING",
        )
        .bind(int(r.height))
        .bind(fr_bytes(&r.header_hash))
        .bind(&r.bytes)
        .bind(int(r.signers))
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(|e| self.error("storing a finality proof", e))
    }

    /// The highest height with a finality proof (0: none; the genesis
    /// header is final by definition).
    pub async fn last_final(&self) -> Result<u64> {
        let h: Option<i64> = sqlx::query_scalar("SELECT MAX(height) FROM finality")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.error("reading finality", e))?;
        Ok(h.map_or(0, uint))
    }

    /// Up to `limit` finality proofs from `from` on, in order.
    pub async fn finality_from(&self, from: u64, limit: u32) -> Result<Vec<FinalityRecord>> {
        let rows = sqlx::query(
            "SELECT height, header_hash, update_bytes, signers FROM finality WHERE height >= $1 ORDER BY height LIMIT $2",
        )
        .bind(int(from.min(i64::MAX as u64)))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error("reading finality proofs", e))?;
        rows.into_iter()
            .map(|r| {
                Ok(FinalityRecord {
                    height: uint(r.get(0)),
                    header_hash: self.fr_at(r.get(1), "finality.header_hash")?,
                    bytes: r.get(2),
                    signers: uint(r.get(3)),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdb::on_each_engine;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_attestation_per_validator_and_height_is_kept() {
        on_each_engine("attest", |store| async move {
            let (a, b) = (Fr::from(11u64), Fr::from(12u64));
            assert_eq!(store.insert_attestation(1, 0, &a, "v0 on a").await.unwrap(), a);
            assert_eq!(store.insert_attestation(1, 1, &a, "v1 on a").await.unwrap(), a);
            // Sent again: harmless. Another header at that height: the first
            // stays and is named.
            assert_eq!(store.insert_attestation(1, 0, &a, "v0 on a").await.unwrap(), a);
            assert_eq!(store.insert_attestation(1, 0, &b, "v0 on b").await.unwrap(), a);
            assert_eq!(store.insert_attestation(1, 2, &b, "v2 on b").await.unwrap(), b);
            assert_eq!(store.insert_attestation(2, 0, &b, "v0 at 2").await.unwrap(), b);
            assert_eq!(store.attestations_at(1, &a).await.unwrap(), ["v0 on a", "v1 on a"]);
            assert_eq!(store.attestations_at(1, &b).await.unwrap(), ["v2 on b"]);
            assert!(store.attestations_at(3, &a).await.unwrap().is_empty());
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_wait_until_their_set_change_is_recorded() {
        on_each_engine("evidence", |store| async move {
            store.insert_change_request(ChangeKind::Slash, Some(3), "first").await.unwrap();
            store.insert_change_request(ChangeKind::Quorum, None, "again").await.unwrap();
            let pending = store.pending_changes().await.unwrap();
            let got: Vec<(ChangeKind, &str)> =
                pending.iter().map(|r| (r.kind, r.body.as_str())).collect();
            assert_eq!(got, [(ChangeKind::Slash, "first"), (ChangeKind::Quorum, "again")]);
            let change = SetChange {
                from_height: 5,
                kind: ChangeKind::Slash,
                offender: Some(3),
                set_json: "{}".into(),
                bytes: vec![1, 2],
            };
            store.insert_set_change(&change, pending[0].seq).await.unwrap();
            store.change_done(pending[1].seq).await.unwrap();
            assert!(store.pending_changes().await.unwrap().is_empty());
            let quorum = SetChange {
                from_height: 7,
                kind: ChangeKind::Quorum,
                offender: None,
                ..change.clone()
            };
            store.insert_set_change(&quorum, pending[1].seq).await.unwrap();
            let changes = store.set_changes().await.unwrap();
            let got: Vec<(u64, ChangeKind, Option<u64>)> =
                changes.iter().map(|c| (c.from_height, c.kind, c.offender)).collect();
            assert_eq!(got, [(5, ChangeKind::Slash, Some(3)), (7, ChangeKind::Quorum, None)]);
            assert_eq!(changes[0].bytes, [1, 2]);
            // One change per height.
            assert!(store.insert_set_change(&change, pending[1].seq).await.is_err());
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn finality_proofs_are_kept_once_per_height_in_order() {
        on_each_engine("finality", |store| async move {
            assert_eq!(store.last_final().await.unwrap(), 0);
            for h in [2u64, 1, 3] {
                let r = FinalityRecord {
                    height: h,
                    header_hash: Fr::from(100 + h),
                    bytes: vec![h as u8; 4],
                    signers: 3,
                };
                store.insert_finality(&r).await.unwrap();
            }
            let again = FinalityRecord {
                height: 2,
                header_hash: Fr::from(7u64),
                bytes: vec![9],
                signers: 4,
            };
            store.insert_finality(&again).await.unwrap();
            assert_eq!(store.last_final().await.unwrap(), 3);
            let page = store.finality_from(2, 10).await.unwrap();
            let got: Vec<(u64, Fr, Vec<u8>, u64)> =
                page.into_iter().map(|r| (r.height, r.header_hash, r.bytes, r.signers)).collect();
            assert_eq!(
                got,
                [(2, Fr::from(102u64), vec![2; 4], 3), (3, Fr::from(103u64), vec![3; 4], 3)]
            );
            assert_eq!(store.finality_from(1, 1).await.unwrap()[0].height, 1);
        })
        .await;
    }
}
