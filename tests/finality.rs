//! End-to-end flows of `stateproof finality` and `stateproof trustnet`
//! through the binary: the demo chain followed by the light client from
//! files, proving from files, slashing, agreement on a data file, and the
//! exit codes of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn stateproof(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stateproof")).args(args).output().expect("binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(args: &[&str]) -> String {
    let o = stateproof(args);
    assert!(o.status.success(), "{args:?} failed: {}", text(&o));
    text(&o)
}

fn code(args: &[&str]) -> (i32, String) {
    let o = stateproof(args);
    (o.status.code().expect("exit code"), text(&o))
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stateproof-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn p(dir: &Path, file: &str) -> String {
    dir.join(file).to_str().unwrap().to_string()
}

#[test]
fn the_demo_chain_is_followed_again_from_its_files() {
    let dir = temp("finality-demo");
    let d = dir.to_str().unwrap();
    let o = ok(&["finality", "demo", "--backend", "cpu", "--out", d]);
    assert!(o.contains("next set rotated"), "{o}");
    assert!(o.contains("slash:"), "{o}");
    assert!(o.contains("replayed update for height 5"), "{o}");

    // The light client over the written updates, saving its state.
    let (vk, genesis, state) =
        (p(&dir, "finality.vk"), p(&dir, "genesis.json"), p(&dir, "c.state"));
    let updates = p(&dir, "updates");
    let o = ok(&[
        "finality",
        "follow",
        "--vk",
        &vk,
        "--genesis",
        &genesis,
        "--state",
        &state,
        &updates,
    ]);
    assert!(o.contains("light client at height 5"), "{o}");
    // Resumed from the saved state, the same directory is skipped, not rejected.
    let o = ok(&["finality", "follow", "--vk", &vk, "--state", &state, &updates]);
    assert!(o.contains("skipped: replayed update for height 5"), "{o}");

    // Out of order: height 2 before 1 is a gap.
    let u = |h: u32| p(&dir, &format!("updates/00000{h}.bin"));
    let (c, o) = code(&["finality", "follow", "--vk", &vk, "--genesis", &genesis, &u(2), &u(1)]);
    assert_eq!(c, 1, "{o}");
    assert!(o.contains("gap: expected height 1, got 2"), "{o}");

    // A tampered update (one byte of its proof) is rejected with exit 1.
    let mut bytes = std::fs::read(u(1)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let bad = p(&dir, "bad.bin");
    std::fs::write(&bad, &bytes).unwrap();
    let (c, o) = code(&["finality", "follow", "--vk", &vk, "--genesis", &genesis, &bad]);
    assert_eq!(c, 1, "{o}");
    assert!(o.contains("REJECTED"), "{o}");

    // The slashing proof verifies under its own key, not the finality key.
    ok(&["verify", "--vk", &p(&dir, "slashing.vk"), &p(&dir, "slashing.bin")]);
    let (c, _) = code(&["verify", "--vk", &vk, &p(&dir, "slashing.bin")]);
    assert_eq!(c, 1);
    // A slashing key is not a light-client key.
    let (c, o) = code(&[
        "finality",
        "follow",
        "--vk",
        &p(&dir, "slashing.vk"),
        "--genesis",
        &genesis,
        &updates,
    ]);
    assert_eq!(c, 2, "{o}");
}

#[test]
fn finality_and_slashing_from_files() {
    let dir = temp("finality-files");
    let d = dir.to_str().unwrap();
    ok(&["finality", "sample", "--depth", "3", "--validators", "3", "--out", d]);
    ok(&["finality", "setup", "--depth", "3", "--slots", "3", "--out", d]);
    ok(&[
        "finality",
        "prove",
        "--pk",
        &p(&dir, "finality.pk"),
        "--vk",
        &p(&dir, "finality.vk"),
        "--set",
        &p(&dir, "set.json"),
        "--header",
        &p(&dir, "header.json"),
        "--attestations",
        &p(&dir, "attestations.json"),
        "--out",
        &p(&dir, "h1.bin"),
        "--backend",
        "cpu",
    ]);
    let o = ok(&[
        "finality",
        "follow",
        "--vk",
        &p(&dir, "finality.vk"),
        "--genesis",
        &p(&dir, "genesis.json"),
        &p(&dir, "h1.bin"),
    ]);
    assert!(o.contains("final height 1"), "{o}");

    // One signer short of the quorum: refused with exit 1, naming the rule.
    let atts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p(&dir, "attestations.json")).unwrap()).unwrap();
    let mut short = atts.clone();
    short["attestations"].as_array_mut().unwrap().pop();
    std::fs::write(p(&dir, "short.json"), short.to_string()).unwrap();
    let (c, o) = code(&[
        "finality",
        "prove",
        "--pk",
        &p(&dir, "finality.pk"),
        "--set",
        &p(&dir, "set.json"),
        "--header",
        &p(&dir, "header.json"),
        "--attestations",
        &p(&dir, "short.json"),
        "--out",
        &p(&dir, "short.bin"),
        "--backend",
        "cpu",
    ]);
    assert_eq!(c, 1, "{o}");
    assert!(o.contains("does not meet the threshold"), "{o}");

    ok(&["finality", "setup-slashing", "--depth", "3", "--out", d]);
    let slash = |set: &str, out: &str| {
        code(&[
            "finality",
            "slash",
            "--pk",
            &p(&dir, "slashing.pk"),
            "--set",
            &p(&dir, set),
            "--evidence",
            &p(&dir, "evidence.json"),
            "--out",
            &p(&dir, out),
            "--new-set",
            &p(&dir, "slashed.json"),
            "--backend",
            "cpu",
        ])
    };
    let (c, o) = slash("set.json", "slash.bin");
    assert_eq!(c, 0, "{o}");
    ok(&["verify", "--vk", &p(&dir, "slashing.vk"), &p(&dir, "slash.bin")]);
    // The same evidence against the slashed set: already slashed.
    let (c, o) = slash("slashed.json", "again.bin");
    assert_eq!(c, 1, "{o}");
    assert!(o.contains("already slashed"), "{o}");

    // Bad input: exit 2, no panic.
    let (c, o) = code(&["finality", "setup", "--threshold", "3/2", "--out", d]);
    assert_eq!(c, 2, "{o}");
    std::fs::write(p(&dir, "junk.json"), "{\"depth\": 99, \"validators\": []}").unwrap();
    let (c, o) = code(&[
        "finality",
        "prove",
        "--pk",
        &p(&dir, "finality.pk"),
        "--set",
        &p(&dir, "junk.json"),
        "--header",
        &p(&dir, "header.json"),
        "--attestations",
        &p(&dir, "attestations.json"),
    ]);
    assert_eq!(c, 2, "{o}");
    assert!(!o.contains("panicked"), "{o}");
}

#[test]
fn trust_network_agreement_on_a_file() {
    let dir = temp("trustnet");
    let d = dir.to_str().unwrap();
    let data = p(&dir, "utxo-snapshot.bin");
    std::fs::write(&data, (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect::<Vec<u8>>())
        .unwrap();
    let o = ok(&["trustnet", "commit", &data]);
    assert!(o.contains("blake3") && o.contains("commitment"), "{o}");
    ok(&["trustnet", "sample", &data, "--authorities", "3", "--depth", "2", "--out", d]);
    ok(&["trustnet", "setup", "--depth", "2", "--slots", "3", "--out", d]);
    let prove = |atts: &str| {
        code(&[
            "trustnet",
            "prove",
            "--pk",
            &p(&dir, "agreement.pk"),
            "--set",
            &p(&dir, "authorities.json"),
            "--attestations",
            &p(&dir, atts),
            "--out",
            &p(&dir, "agreement.bin"),
            "--backend",
            "cpu",
            &data,
        ])
    };
    let (c, o) = prove("attestations.json");
    assert_eq!(c, 0, "{o}");
    let verify = |file: &str| {
        code(&[
            "trustnet",
            "verify",
            "--vk",
            &p(&dir, "agreement.vk"),
            "--set",
            &p(&dir, "authorities.json"),
            file,
            &p(&dir, "agreement.bin"),
        ])
    };
    let (c, o) = verify(&data);
    assert_eq!(c, 0, "{o}");
    assert!(o.contains("all 3 authorities agree"), "{o}");
    // Another file: the proof is not about it.
    let other = p(&dir, "other.bin");
    std::fs::write(&other, b"another snapshot").unwrap();
    let (c, o) = verify(&other);
    assert_eq!(c, 1, "{o}");
    // Two of three authorities are not unanimity.
    let atts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p(&dir, "attestations.json")).unwrap()).unwrap();
    let mut two = atts.clone();
    two["attestations"].as_array_mut().unwrap().remove(1);
    std::fs::write(p(&dir, "two.json"), two.to_string()).unwrap();
    let (c, o) = prove("two.json");
    assert_eq!(c, 1, "{o}");
    assert!(o.contains("does not meet the threshold"), "{o}");
    // A missing file is unusable input.
    let (c, _) = code(&["trustnet", "commit", &p(&dir, "missing")]);
    assert_eq!(c, 2);
}

#[test]
fn the_compute_simulation_runs_and_refuses_bad_parameters() {
    let o = ok(&["simulate", "compute", "--deals", "2000", "--sweep"]);
    assert!(o.contains("honesty pays best"), "{o}");
    assert!(o.contains("sweep"), "{o}");
    let (c, o) = code(&["simulate", "compute", "--committee", "80"]);
    assert_eq!(c, 2, "{o}");
    let (c, o) = code(&["simulate", "compute", "--collateral", "1", "--fee", "20"]);
    assert_eq!(c, 2, "{o}");
}

#[test]
fn the_compute_demo_proves_and_verifies_both_batches() {
    let o = ok(&["compute", "demo", "--backend", "cpu"]);
    assert!(o.contains("opening batch VALID") && o.contains("settlement batch VALID"), "{o}");
    assert!(o.contains("conserved"), "{o}");
}

#[test]
fn the_trust_demo_proves_and_verifies_both_batches() {
    let o = ok(&["trust", "demo", "--backend", "cpu"]);
    assert!(o.contains("commit batch VALID") && o.contains("resolve batch VALID"), "{o}");
    assert!(o.contains("sponsor 2 is suspended") && o.contains("already sponsored"), "{o}");
}
