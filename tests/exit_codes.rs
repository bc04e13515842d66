//! The same exit codes for every command: each file a command reads,
//! missing or truncated, is unusable input (exit 2) with one `error:` line
//! that names the file, never a panic; and errors about a field of a file
//! name the file and the field.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn stateproof(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_stateproof")).args(args).output().expect("runs");
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    (o.status.code().expect("exit code"), out, err)
}

fn ok(args: &[&str]) {
    let (code, out, err) = stateproof(args);
    assert_eq!(code, 0, "{args:?}: {out}{err}");
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("prover/testdata/circom").join(name)
}

/// One directory with a valid file for every kind a command reads, made
/// once: transfer keys, state, batch and update; a finality set, header,
/// attestations, evidence, keys and update; a trust network's files; a key
/// file; snarkjs JSON.
fn fixture() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("stateproof-exits-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.to_str().unwrap();
        let p = |f: &str| format!("{d}/{f}");
        ok(&["sample", "--depth", "4", "--accounts", "3", "--transfers", "1", "--out", d]);
        ok(&["setup", "--depth", "4", "--slots", "1", "--out", d]);
        ok(&[
            "prove",
            "--pk",
            &p("transfer.pk"),
            "--state",
            &p("state.json"),
            "--batch",
            &p("batch.json"),
            "--out",
            &p("update.bin"),
            "--backend",
            "cpu",
        ]);
        ok(&["finality", "sample", "--depth", "2", "--validators", "3", "--out", d]);
        ok(&["finality", "setup", "--depth", "2", "--slots", "3", "--out", d]);
        ok(&["finality", "setup-slashing", "--depth", "2", "--out", d]);
        ok(&[
            "finality",
            "prove",
            "--pk",
            &p("finality.pk"),
            "--set",
            &p("set.json"),
            "--header",
            &p("header.json"),
            "--attestations",
            &p("attestations.json"),
            "--out",
            &p("h1.bin"),
            "--backend",
            "cpu",
        ]);
        std::fs::write(p("data.bin"), b"a data set").unwrap();
        let trust = p("trust");
        std::fs::create_dir_all(&trust).unwrap();
        ok(&[
            "trustnet",
            "sample",
            &p("data.bin"),
            "--validators",
            "2",
            "--depth",
            "1",
            "--out",
            &trust,
        ]);
        ok(&["trustnet", "setup", "--depth", "1", "--slots", "2", "--out", &trust]);
        ok(&[
            "trustnet",
            "prove",
            "--pk",
            &format!("{trust}/agreement.pk"),
            "--set",
            &format!("{trust}/authorities.json"),
            "--attestations",
            &format!("{trust}/attestations.json"),
            "--out",
            &format!("{trust}/agreement.bin"),
            "--backend",
            "cpu",
            &p("data.bin"),
        ]);
        ok(&["keys", "new", "--out", &p("alice.key")]);
        let deal = stateproof_circuits::compute::Deal {
            id: 1,
            client: 0,
            nodes: vec![1, 2],
            job: 5u64.into(),
            price: 10,
            deposit: 30,
            collateral: 10,
            mediators: 7u64.into(),
            mediation_fee: 5,
            deadline: 100,
        };
        let json = stateproof_circuits::compute::DealJson::from_deal(&deal);
        std::fs::write(p("deal.json"), serde_json::to_string(&json).unwrap()).unwrap();
        let s = stateproof_circuits::sample::sample_sponsorship(1, [0, 1], 0);
        let json = stateproof_circuits::trust::SponsorshipJson::from_sponsorship(&s);
        std::fs::write(p("sponsorship.json"), serde_json::to_string(&json).unwrap()).unwrap();
        let (deal, key) = (p("deal.json"), p("alice.key"));
        let signature = p("deal-signature.json");
        ok(&["deal", "sign", "--terms", &deal, "--key", &key, "--out", &signature]);
        let attestation = p("deal-attestation.json");
        ok(&[
            "deal",
            "attest",
            "--terms",
            &deal,
            "--result",
            "7",
            "--index",
            "0",
            "--key",
            &key,
            "--out",
            &attestation,
        ]);
        ok(&[
            "export",
            "snarkjs",
            "--vk",
            &p("transfer.vk"),
            &p("update.bin"),
            "--out",
            &p("snarkjs"),
        ]);
        dir
    })
}

/// A command template: `{name}` stands for the fixture's file of that name.
struct Case {
    args: &'static [&'static str],
    /// The file arguments to break one at a time.
    files: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        args: &[
            "prove",
            "--pk",
            "{transfer.pk}",
            "--state",
            "{state.json}",
            "--batch",
            "{batch.json}",
            "--out",
            "{x.bin}",
            "--backend",
            "cpu",
        ],
        files: &["transfer.pk", "state.json", "batch.json"],
    },
    Case {
        args: &["verify", "--vk", "{transfer.vk}", "{update.bin}"],
        files: &["transfer.vk", "update.bin"],
    },
    Case { args: &["inspect", "{update.bin}"], files: &["update.bin"] },
    Case { args: &["inspect", "{transfer.pk}"], files: &["transfer.pk"] },
    Case { args: &["inspect", "{state.json}"], files: &["state.json"] },
    Case {
        args: &["export", "snarkjs", "--vk", "{transfer.vk}", "{update.bin}", "--out", "{out}"],
        files: &["transfer.vk", "update.bin"],
    },
    Case {
        args: &["export", "solidity", "--vk", "{transfer.vk}", "--out", "{x.sol}"],
        files: &["transfer.vk"],
    },
    Case { args: &["export", "calldata", "{update.bin}"], files: &["update.bin"] },
    Case {
        args: &[
            "export",
            "calldata",
            "--proof",
            "{snarkjs/proof.json}",
            "--public",
            "{snarkjs/public.json}",
        ],
        files: &["snarkjs/proof.json", "snarkjs/public.json"],
    },
    Case {
        args: &[
            "finality",
            "prove",
            "--pk",
            "{finality.pk}",
            "--set",
            "{set.json}",
            "--header",
            "{header.json}",
            "--attestations",
            "{attestations.json}",
            "--out",
            "{x.bin}",
            "--backend",
            "cpu",
        ],
        files: &["finality.pk", "set.json", "header.json", "attestations.json"],
    },
    Case {
        args: &[
            "finality",
            "slash",
            "--pk",
            "{slashing.pk}",
            "--set",
            "{set.json}",
            "--evidence",
            "{evidence.json}",
            "--out",
            "{x.bin}",
            "--backend",
            "cpu",
        ],
        files: &["slashing.pk", "set.json", "evidence.json"],
    },
    Case {
        args: &[
            "finality",
            "follow",
            "--vk",
            "{finality.vk}",
            "--genesis",
            "{genesis.json}",
            "{h1.bin}",
        ],
        files: &["finality.vk", "genesis.json", "h1.bin"],
    },
    Case {
        args: &[
            "trustnet",
            "verify",
            "--vk",
            "{trust/agreement.vk}",
            "--set",
            "{trust/authorities.json}",
            "{data.bin}",
            "{trust/agreement.bin}",
        ],
        files: &["trust/agreement.vk", "trust/authorities.json", "trust/agreement.bin"],
    },
    Case {
        args: &[
            "trustnet",
            "prove",
            "--pk",
            "{trust/agreement.pk}",
            "--set",
            "{trust/authorities.json}",
            "--attestations",
            "{trust/attestations.json}",
            "--out",
            "{x.bin}",
            "--backend",
            "cpu",
            "{data.bin}",
        ],
        files: &["trust/agreement.pk", "trust/authorities.json", "trust/attestations.json"],
    },
    Case { args: &["keys", "show", "{alice.key}"], files: &["alice.key"] },
    // Ledger transactions read their files before they reach the node (here
    // an address nothing listens on).
    Case {
        args: &[
            "deal",
            "sign",
            "--terms",
            "{deal.json}",
            "--key",
            "{alice.key}",
            "--out",
            "{x.json}",
        ],
        files: &["deal.json", "alice.key"],
    },
    Case {
        args: &[
            "deal",
            "open",
            "--terms",
            "{deal.json}",
            "--signature",
            "{deal-signature.json}",
            "--node",
            "http://127.0.0.1:9",
        ],
        files: &["deal.json", "deal-signature.json"],
    },
    Case {
        args: &[
            "deal",
            "verdict",
            "--terms",
            "{deal.json}",
            "--result",
            "7",
            "--committee",
            "{set.json}",
            "--attestation",
            "{deal-attestation.json}",
            "--node",
            "http://127.0.0.1:9",
        ],
        files: &["deal.json", "set.json", "deal-attestation.json"],
    },
    Case {
        args: &[
            "sponsor",
            "commit",
            "--sponsorship",
            "{sponsorship.json}",
            "--member",
            "0",
            "--choice",
            "cooperate",
            "--salt",
            "5",
            "--key",
            "{alice.key}",
            "--node",
            "http://127.0.0.1:9",
        ],
        files: &["sponsorship.json", "alice.key"],
    },
    Case {
        args: &[
            "sign",
            "--key",
            "{alice.key}",
            "--from",
            "0",
            "--to",
            "1",
            "--to-key",
            "{alice.key}",
            "--amount",
            "1",
            "--nonce",
            "0",
            "--batch",
            "{x.json}",
        ],
        files: &["alice.key"],
    },
    Case {
        args: &[
            "groth16",
            "prove",
            "{preimage.zkey}",
            "{preimage.wtns}",
            "{x.json}",
            "{y.json}",
            "--backend",
            "cpu",
        ],
        files: &["preimage.zkey", "preimage.wtns"],
    },
    Case {
        args: &[
            "groth16",
            "verify",
            "{verification_key.json}",
            "{snarkjs_public.json}",
            "{snarkjs/proof.json}",
        ],
        files: &["verification_key.json", "snarkjs_public.json"],
    },
];

/// The path a `{name}` stands for: circom test data, or the fixture's file
/// (the one being broken goes to `broken`).
fn resolve(name: &str, target: &str, broken: &Path) -> PathBuf {
    if name == target {
        return broken.to_path_buf();
    }
    let circom = testdata(name);
    if circom.exists() {
        return circom;
    }
    fixture().join(name)
}

#[test]
fn a_missing_or_truncated_file_is_exit_2_naming_the_file_for_every_command() {
    let scratch = fixture().join("broken");
    std::fs::create_dir_all(&scratch).unwrap();
    for case in CASES {
        for target in case.files {
            let original = resolve(target, "", Path::new(""));
            let bytes = std::fs::read(&original).unwrap();
            let truncated = scratch.join(format!("truncated-{}", target.replace('/', "-")));
            std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
            let missing = scratch.join(format!("missing-{}", target.replace('/', "-")));
            for broken in [&missing, &truncated] {
                let args: Vec<String> = case
                    .args
                    .iter()
                    .map(|a| match a.strip_prefix('{').and_then(|a| a.strip_suffix('}')) {
                        Some(name) => resolve(name, target, broken).display().to_string(),
                        None => a.to_string(),
                    })
                    .collect();
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let (code, out, err) = stateproof(&args);
                let what = format!("{:?} with {}", case.args, broken.display());
                assert_eq!(code, 2, "{what}: exit {code}: {out}{err}");
                assert!(!err.contains("panicked"), "{what}: {err}");
                let line = err.lines().find(|l| l.starts_with("error: ")).unwrap_or_default();
                assert!(line.contains(broken.to_str().unwrap()), "{what}: {err}");
            }
        }
    }
}

#[test]
fn json_failures_print_an_error_object_on_stdout() {
    let missing = fixture().join("no-such.vk");
    let (code, out, _) = stateproof(&["--json", "verify", "--vk", missing.to_str().unwrap(), "x"]);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["code"], 2);
    assert!(v["error"]["message"].as_str().unwrap().contains("no-such.vk"));
}

/// Writes the fixture's JSON `file` with `edit` applied to a new file and
/// returns its path.
fn edited(file: &str, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture().join(file)).unwrap()).unwrap();
    edit(&mut v);
    let n = COUNT.fetch_add(1, Ordering::SeqCst);
    let path = fixture().join(format!("edited-{n}-{file}"));
    std::fs::write(&path, v.to_string()).unwrap();
    path
}

#[test]
fn errors_about_a_field_name_the_file_and_the_field() {
    let d = fixture();
    let p = |f: &str| d.join(f).display().to_string();
    let prove = |state: &Path, batch: &Path| {
        stateproof(&[
            "prove",
            "--pk",
            &p("transfer.pk"),
            "--state",
            state.to_str().unwrap(),
            "--batch",
            batch.to_str().unwrap(),
            "--out",
            &p("x.bin"),
            "--backend",
            "cpu",
        ])
    };
    let state = d.join("state.json");
    let batch = d.join("batch.json");
    let cases: Vec<(PathBuf, bool, &str)> = vec![
        (
            edited("batch.json", |v| v["transfers"][0]["signature_s"] = "01".into()),
            true,
            "transfers[0].signature_s: invalid field element: leading zero",
        ),
        (
            edited("batch.json", |v| v["transfers"][0]["signature_r8"][1] = "x".into()),
            true,
            "transfers[0].signature_r8[1]: invalid field element",
        ),
        (
            edited("batch.json", |v| v["transfers"][0]["amount"] = "5".into()),
            true,
            "transfers[0].amount: invalid type: string",
        ),
        (
            edited("batch.json", |v| {
                v["transfers"][0].as_object_mut().unwrap().remove("nonce");
            }),
            true,
            "transfers[0]: missing field `nonce`",
        ),
        (
            edited("state.json", |v| v["accounts"][1]["public_key"][0] = "7".into()),
            false,
            "accounts[1].public_key: invalid public key",
        ),
        (edited("state.json", |v| v["depth"] = 0.into()), false, "depth: tree depth 0"),
    ];
    for (file, is_batch, expected) in cases {
        let (code, out, err) = if is_batch { prove(&state, &file) } else { prove(&file, &batch) };
        assert_eq!(code, 2, "{expected}: {out}{err}");
        let wanted = format!("{}: {expected}", file.display());
        assert!(err.contains(&wanted), "expected {wanted:?} in {err:?}");
    }
    // A set file's validator key, a header's field, an evidence signature.
    let set = edited("set.json", |v| v["validators"][1]["public_key"][1] = "01".into());
    let (code, _, err) = stateproof(&[
        "finality",
        "prove",
        "--pk",
        &p("finality.pk"),
        "--set",
        set.to_str().unwrap(),
        "--header",
        &p("header.json"),
        "--attestations",
        &p("attestations.json"),
        "--out",
        &p("x.bin"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("validators[1].public_key[1]: invalid field element: leading zero"),
        "{err}"
    );
    let header = edited("header.json", |v| v["prev_hash"] = "-1".into());
    let (code, _, err) = stateproof(&[
        "finality",
        "follow",
        "--vk",
        &p("finality.vk"),
        "--genesis",
        header.to_str().unwrap(),
        &p("h1.bin"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{}: prev_hash: invalid field element", header.display())),
        "{err}"
    );
    let evidence = edited("evidence.json", |v| v["signatures"][1][1] = "00".into());
    let (code, _, err) = stateproof(&[
        "finality",
        "slash",
        "--pk",
        &p("slashing.pk"),
        "--set",
        &p("set.json"),
        "--evidence",
        evidence.to_str().unwrap(),
        "--out",
        &p("x.bin"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("signatures[1][1]: invalid field element: leading zero"), "{err}");
}

#[test]
fn sample_names_its_own_flag_and_solidity_keywords_are_refused() {
    let (code, _, err) = stateproof(&["sample", "--transfers", "100000", "--out", "/tmp"]);
    assert_eq!(code, 2);
    assert!(err.contains("--transfers must be 1 to 1024"), "{err}");
    assert!(!err.contains("--slots"), "{err}");
    let vk = fixture().join("transfer.vk");
    for name in ["contract", "uint256", "9lives", "has space"] {
        let (code, _, err) = stateproof(&[
            "export",
            "solidity",
            "--vk",
            vk.to_str().unwrap(),
            "--name",
            name,
            "--out",
            "/tmp/x.sol",
        ]);
        assert_eq!(code, 2, "{name}");
        assert!(err.contains("not a Solidity identifier"), "{name}: {err}");
    }
}

#[test]
fn user_keys_sign_transfers_that_prove() {
    let d = fixture();
    let p = |f: &str| d.join(f).display().to_string();
    let dir = d.join("users");
    std::fs::create_dir_all(&dir).unwrap();
    let u = |f: &str| dir.join(f).display().to_string();
    ok(&["keys", "new", "--out", &u("bob.key")]);
    // Refuses to overwrite a key.
    let (code, _, err) = stateproof(&["keys", "new", "--out", &u("bob.key")]);
    assert_eq!(code, 2, "{err}");
    ok(&[
        "sample",
        "--depth",
        "4",
        "--accounts",
        "2",
        "--transfers",
        "1",
        "--key",
        &p("alice.key"),
        "--out",
        &u(""),
    ]);
    let (_, bob, _) = stateproof(&["keys", "show", &u("bob.key")]);
    // One transfer of 7 from account 0 to a fresh account for bob, signed
    // with `key`, proved into `out`.
    let sign_and_prove = |key: &str, out: &str, extra: &[&str]| {
        let _ = std::fs::remove_file(dir.join("batch.json"));
        ok(&[
            "sign",
            "--key",
            key,
            "--from",
            "0",
            "--to",
            "2",
            "--to-key",
            bob.trim(),
            "--amount",
            "7",
            "--nonce",
            "0",
            "--batch",
            &u("batch.json"),
        ]);
        let mut args = vec![
            "prove".to_string(),
            "--pk".into(),
            p("transfer.pk"),
            "--state".into(),
            u("state.json"),
            "--batch".into(),
            u("batch.json"),
            "--out".into(),
            u(out),
            "--backend".into(),
            "cpu".into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        stateproof(&args)
    };
    let after = u("after.json");
    let (code, out, err) = sign_and_prove(&p("alice.key"), "update.bin", &["--new-state", &after]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("old root") && out.contains("new root"), "{out}");
    let (_, out, _) = stateproof(&["--json", "inspect", &after]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "state");
    assert_eq!(v["accounts"], 3, "bob's account was opened");
    let (_, out, _) = stateproof(&["inspect", &p("transfer.vk")]);
    assert!(out.contains("transfer-batch (depth 4, 1 slot)"), "{out}");
    // The same transfer signed by a key that does not own account 0.
    ok(&["keys", "new", "--out", &u("mallory.key")]);
    let (code, out, err) = sign_and_prove(&u("mallory.key"), "x.bin", &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("batch.json: transfer 0: bad signature"), "{err}");
}
