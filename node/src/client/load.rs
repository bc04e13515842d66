//! `stateproof load`: a load generator over the sample-funded accounts.

use super::*;

/// What `stateproof load` is asked to do.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The node.
    pub node: String,
    /// Transfers per second to offer.
    pub rate: f64,
    /// For how long.
    pub duration: Duration,
    /// Sample accounts to send from (default: all the node funded).
    pub senders: Option<u64>,
    /// Follow the accepted transfers into proven updates, waiting at most
    /// this long after the last submission.
    pub wait_proven: Option<Duration>,
}

/// What `stateproof load` measured.
#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    /// Transfers submitted.
    pub submitted: u64,
    /// Accepted (202).
    pub accepted: u64,
    /// Refused, by rule.
    pub refused: BTreeMap<String, u64>,
    /// Requests that got no answer.
    pub failed: u64,
    /// Seconds from the first submission to the last answer.
    pub seconds: f64,
    /// Accepted per second.
    pub accepted_per_second: f64,
    /// Median submission latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Signing time before the clock started (not in the rate).
    pub signing_seconds: f64,
    /// The accepted transfers followed into proven updates (`--wait-proven`).
    pub proven: Option<ProvenReport>,
}

/// How the accepted transfers of a load run were proven, as seen by polling
/// `GET /v1/updates` every [`PROVEN_POLL`].
#[derive(Clone, Debug, Serialize)]
pub struct ProvenReport {
    /// Accepted transfers seen in a proven update.
    pub proven: u64,
    /// Accepted transfers not proven when the wait ended.
    pub unproven: u64,
    /// Updates published during the run.
    pub updates: u64,
    /// Proven transfers per second, first submission to last update seen.
    pub proven_per_second: f64,
    /// Median time from submission to the update being seen, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
}

/// How often `load --wait-proven` polls for updates (the resolution of its
/// latencies).
pub const PROVEN_POLL: Duration = Duration::from_millis(25);

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "submitted {} transfers in {:.2} s: {} accepted ({:.0}/s), {} without answer",
            self.submitted, self.seconds, self.accepted, self.accepted_per_second, self.failed
        )?;
        for (rule, n) in &self.refused {
            writeln!(f, "  refused {rule}: {n}")?;
        }
        writeln!(
            f,
            "latency p50 {:.1} ms, p99 {:.1} ms (signed beforehand in {:.1} s)",
            self.p50_ms, self.p99_ms, self.signing_seconds
        )?;
        if let Some(p) = &self.proven {
            writeln!(
                f,
                "proven: {} in {} updates ({:.1}/s), {} not proven in time; submission to proven update p50 {:.0} ms, p99 {:.0} ms",
                p.proven, p.updates, p.proven_per_second, p.unproven, p.p50_ms, p.p99_ms
            )?;
        }
        Ok(())
    }
}

/// The `q`-quantile of sorted values (0 when empty).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Follows accepted transfers (ids and submission instants arriving on
/// `accepted`, until every sender drops its end) into proven updates from
/// update `next` on, until all are proven or `wait` has passed since the
/// last submission.
fn watch_proven(
    client: &NodeClient,
    mut next: u64,
    accepted: mpsc::Receiver<(String, Instant)>,
    start: Instant,
    wait: Duration,
) -> ProvenReport {
    let mut waiting: HashMap<String, Instant> = HashMap::new();
    // Proven before its 202 reached us (or another client's).
    let mut early: HashMap<String, Instant> = HashMap::new();
    let mut latencies = Vec::new();
    let (mut updates, mut last_update, mut submitting_until) = (0, start, None);
    loop {
        loop {
            match accepted.try_recv() {
                Ok((id, sent)) => match early.remove(&id) {
                    Some(at) => latencies.push(at.saturating_duration_since(sent).as_secs_f64()),
                    None => drop(waiting.insert(id, sent)),
                },
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    submitting_until.get_or_insert_with(Instant::now);
                    break;
                }
            }
        }
        if let Ok(page) = client.updates(next) {
            let now = Instant::now();
            for u in &page.updates {
                updates += 1;
                last_update = now;
                for id in &u.transactions {
                    match waiting.remove(id) {
                        Some(sent) => latencies.push((now - sent).as_secs_f64()),
                        None => drop(early.insert(id.clone(), now)),
                    }
                }
            }
            next = page.next.max(next);
        }
        if let Some(until) = submitting_until {
            if waiting.is_empty() || until.elapsed() > wait {
                break;
            }
        }
        std::thread::sleep(PROVEN_POLL);
    }
    let mut ms: Vec<f64> = latencies.iter().map(|s| s * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let proven = ms.len() as u64;
    ProvenReport {
        proven,
        unproven: waiting.len() as u64,
        updates,
        proven_per_second: proven as f64 / (last_update - start).as_secs_f64().max(1e-9),
        p50_ms: quantile(&ms, 0.5),
        p99_ms: quantile(&ms, 0.99),
    }
}

/// Offers `rate` transfers per second for `duration` from the sample
/// accounts, each sender's transfers in nonce order (one in flight per
/// sender); every transfer is signed before the clock starts.
pub fn load(o: &LoadOptions) -> Result<LoadReport> {
    let client = NodeClient::new(&o.node)?;
    let status = client.status()?;
    let n = o.senders.unwrap_or(status.sample_accounts).min(status.sample_accounts);
    if n < 2 {
        return Err(AppError::unusable(format!(
            "{}: the node funded {} sample accounts; load needs at least 2",
            client.url(),
            status.sample_accounts
        )));
    }
    if o.rate.is_nan() || o.rate <= 0.0 {
        return Err(AppError::unusable("--rate must be positive"));
    }
    let total = (o.rate * o.duration.as_secs_f64()).ceil() as u64;
    let sign_start = Instant::now();
    let mut plans: Vec<Vec<TransferJson>> = Vec::with_capacity(n as usize);
    for from in 0..n {
        let key = sample_key(from);
        let nonce =
            account_of(&client.account(from)?.pending, &format!("sample account {from}"))?.nonce;
        let to = (from + 1) % n;
        let to_key = sample_key(to).public_key();
        let count = total / n + u64::from(from < total % n);
        plans.push(
            (0..count)
                .map(|k| {
                    TransferJson::from_transfer(&Transfer::sign(
                        &key,
                        from,
                        to,
                        to_key,
                        1,
                        nonce + k,
                    ))
                })
                .collect(),
        );
    }
    let signing_seconds = sign_start.elapsed().as_secs_f64();
    let per_sender = o.rate / n as f64;
    let first_update = status.proven_updates.saturating_add(1);
    let start = Instant::now();
    let (accepted_tx, accepted_rx) = mpsc::channel();
    let (results, proven) = std::thread::scope(|scope| {
        let watcher = o.wait_proven.map(|wait| {
            let client = client.clone();
            scope.spawn(move || watch_proven(&client, first_update, accepted_rx, start, wait))
        });
        let handles: Vec<_> = plans
            .iter()
            .enumerate()
            .map(|(i, plan)| {
                let client = client.clone();
                let accepted = o.wait_proven.is_some().then(|| accepted_tx.clone());
                scope.spawn(move || {
                    let mut latencies = Vec::with_capacity(plan.len());
                    let mut refused = BTreeMap::new();
                    let mut failed = 0;
                    let offset = i as f64 / o.rate;
                    for (k, t) in plan.iter().enumerate() {
                        let at = start + Duration::from_secs_f64(offset + k as f64 / per_sender);
                        if let Some(wait) = at.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        let sent = Instant::now();
                        match client.submit(t) {
                            Ok(Ok(a)) => {
                                latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                                if let Some(accepted) = &accepted {
                                    let _ = accepted.send((a.id, sent));
                                }
                            }
                            Ok(Err(r)) => *refused.entry(r.rule).or_insert(0) += 1,
                            Err(_) => failed += 1,
                        }
                    }
                    (latencies, refused, failed)
                })
            })
            .collect();
        drop(accepted_tx);
        let results: Vec<(Vec<f64>, BTreeMap<String, u64>, u64)> =
            handles.into_iter().map(|h| h.join().expect("a load thread does not panic")).collect();
        let seconds = start.elapsed().as_secs_f64();
        let proven = watcher.map(|w| w.join().expect("the proven watcher does not panic"));
        ((results, seconds), proven)
    });
    let (results, seconds) = results;
    let mut latencies: Vec<f64> = results.iter().flat_map(|r| r.0.iter().copied()).collect();
    latencies.sort_by(f64::total_cmp);
    let mut refused = BTreeMap::new();
    for (_, r, _) in &results {
        for (rule, k) in r {
            *refused.entry(rule.clone()).or_insert(0) += k;
        }
    }
    let accepted = latencies.len() as u64;
    Ok(LoadReport {
        submitted: total,
        accepted,
        refused,
        failed: results.iter().map(|r| r.2).sum(),
        seconds,
        accepted_per_second: accepted as f64 / seconds.max(1e-9),
        p50_ms: quantile(&latencies, 0.5),
        p99_ms: quantile(&latencies, 0.99),
        signing_seconds,
        proven,
    })
}
