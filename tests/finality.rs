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

/// `stateproof finality follow --vk VK [--genesis G] [--state S] UPDATES...`.
fn follow(vk: &str, genesis: Option<&str>, state: Option<&str>, updates: &[&str]) -> (i32, String) {
    let mut args = vec!["finality", "follow", "--vk", vk];
    if let Some(g) = genesis {
        args.extend(["--genesis", g]);
    }
    if let Some(s) = state {
        args.extend(["--state", s]);
    }
    args.extend(updates);
    code(&args)
}

/// A quorum proof (`finality prove` or `trustnet prove`) with the files in
/// `dir`: the key, the set, the attestations, the output; then `extra`.
fn prove_quorum(command: &str, dir: &Path, files: [&str; 4], extra: &[&str]) -> (i32, String) {
    let [pk, set, attestations, out] = files.map(|f| p(dir, f));
    let mut args = vec![command, "prove", "--pk", &pk, "--set", &set];
    args.extend(["--attestations", &attestations, "--out", &out, "--backend", "cpu"]);
    args.extend(extra);
    code(&args)
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
    let (c, o) = follow(&vk, Some(&genesis), Some(&state), &[&updates]);
    assert_eq!(c, 0, "{o}");
    assert!(o.contains("light client at height 5"), "{o}");
    // Resumed from the saved state, the same directory is skipped, not rejected.
    let (c, o) = follow(&vk, None, Some(&state), &[&updates]);
    assert_eq!(c, 0, "{o}");
    assert!(o.contains("skipped: replayed update for height 5"), "{o}");

    // Out of order: height 2 before 1 is a gap.
    let u = |h: u32| p(&dir, &format!("updates/00000{h}.bin"));
    let (c, o) = follow(&vk, Some(&genesis), None, &[&u(2), &u(1)]);
    assert_eq!(c, 1, "{o}");
    assert!(o.contains("gap: expected height 1, got 2"), "{o}");

    // A tampered update is refused: one that parses but does not verify (a
    // flipped bit of its last public input) with exit 1, one that does not
    // parse (truncated) with exit 2.
    let original = std::fs::read(u(1)).unwrap();
    let mut flipped = original.clone();
    flipped[original.len() - 128 - 32 + 3] ^= 1;
    let truncated = original[..original.len() - 1].to_vec();
    for (bytes, exit, word) in [(flipped, 1, "REJECTED"), (truncated, 2, "UNUSABLE")] {
        let bad = p(&dir, "bad.bin");
        std::fs::write(&bad, &bytes).unwrap();
        let (c, o) = follow(&vk, Some(&genesis), None, &[&bad]);
        assert_eq!(c, exit, "{o}");
        assert!(o.contains(word), "{o}");
    }

    // The slashing proof verifies under its own key, not the finality key.
    ok(&["verify", "--vk", &p(&dir, "slashing.vk"), &p(&dir, "slashing.bin")]);
    let (c, _) = code(&["verify", "--vk", &vk, &p(&dir, "slashing.bin")]);
    assert_eq!(c, 1);
    // A slashing key is not a light-client key.
    let (c, o) = follow(&p(&dir, "slashing.vk"), Some(&genesis), None, &[&updates]);
    assert_eq!(c, 2, "{o}");
}

#[test]
fn finality_and_slashing_from_files() {
    let dir = temp("finality-files");
    let d = dir.to_str().unwrap();
    ok(&["finality", "sample", "--depth", "3", "--validators", "3", "--out", d]);
    ok(&["finality", "setup", "--depth", "3", "--slots", "3", "--out", d]);
    let vk = p(&dir, "finality.vk");
    let files = |atts, out| ["finality.pk", "set.json", atts, out];
    let header = ["--header".to_string(), p(&dir, "header.json")];
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let with_vk = [&header[..], &["--vk", &vk]].concat();
    let (c, o) = prove_quorum("finality", &dir, files("attestations.json", "h1.bin"), &with_vk);
    assert_eq!(c, 0, "{o}");
    let (c, o) = follow(&vk, Some(&p(&dir, "genesis.json")), None, &[&p(&dir, "h1.bin")]);
    assert_eq!(c, 0, "{o}");
    assert!(o.contains("final height 1"), "{o}");

    // One signer short of the quorum: refused with exit 1, naming the rule.
    let atts: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p(&dir, "attestations.json")).unwrap()).unwrap();
    let mut short = atts.clone();
    short["attestations"].as_array_mut().unwrap().pop();
    std::fs::write(p(&dir, "short.json"), short.to_string()).unwrap();
    let (c, o) = prove_quorum("finality", &dir, files("short.json", "short.bin"), &header);
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
    let junk = ["finality.pk", "junk.json", "attestations.json", "x.bin"];
    let (c, o) = prove_quorum("finality", &dir, junk, &header);
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
        let files = ["agreement.pk", "authorities.json", atts, "agreement.bin"];
        prove_quorum("trustnet", &dir, files, &[&data])
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
