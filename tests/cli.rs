//! End-to-end flows through the `stateproof` binary: files in, update out,
//! verification with exit codes, and tampered updates rejected with the
//! right reason.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn stateproof(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stateproof")).args(args).output().expect("binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A directory with keys, state, batch and a proven update, made once
/// (depth 4, 2 slots: small enough for CI).
fn fixture() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("stateproof-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.to_str().unwrap();
        let run = |args: &[&str]| {
            let o = stateproof(args);
            assert!(o.status.success(), "{args:?} failed: {}", text(&o));
            o
        };
        run(&["sample", "--depth", "4", "--accounts", "3", "--transfers", "2", "--out", d]);
        let o = run(&["setup", "--depth", "4", "--slots", "2", "--out", d]);
        assert!(text(&o).contains("DEVELOPMENT SETUP"));
        run(&[
            "prove",
            "--pk",
            &format!("{d}/transfer.pk"),
            "--state",
            &format!("{d}/state.json"),
            "--batch",
            &format!("{d}/batch.json"),
            "--out",
            &format!("{d}/update.bin"),
            "--new-state",
            &format!("{d}/state2.json"),
        ]);
        dir
    })
}

/// `stateproof prove` with the fixture's key and batch, a state file and an
/// output file from the fixture directory.
fn prove_in_fixture(state: &str, out: &str) -> Output {
    let dir = fixture();
    let path = |f: &str| dir.join(f).to_str().unwrap().to_string();
    stateproof(&[
        "prove",
        "--pk",
        &path("transfer.pk"),
        "--state",
        &path(state),
        "--batch",
        &path("batch.json"),
        "--out",
        &path(out),
    ])
}

fn verify_file(update: &Path) -> Output {
    let vk = fixture().join("transfer.vk");
    stateproof(&["verify", "--vk", vk.to_str().unwrap(), update.to_str().unwrap()])
}

#[test]
fn prove_then_verify_through_files() {
    let dir = fixture();
    let o = verify_file(&dir.join("update.bin"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("VALID"));

    // The update continues from the genesis root and not from another.
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("state.json")).unwrap()).unwrap();
    assert_eq!(state["depth"], 4);
    let o = stateproof(&["--json", "inspect", dir.join("update.bin").to_str().unwrap()]);
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let old_root = info["public_inputs"]["old_root"].as_str().unwrap().to_string();
    let vk = dir.join("transfer.vk");
    let update = dir.join("update.bin");
    // From its own old root it verifies; from any other root it does not.
    for (root, code) in [(old_root.as_str(), 0), ("12345", 1)] {
        let o = stateproof(&[
            "verify",
            "--vk",
            vk.to_str().unwrap(),
            update.to_str().unwrap(),
            "--root",
            root,
        ]);
        assert_eq!(o.status.code(), Some(code), "root {root}: {}", text(&o));
        if code == 1 {
            assert!(text(&o).contains("another root"), "{}", text(&o));
        }
    }
}

#[test]
fn every_field_of_a_tampered_update_is_rejected_with_its_reason() {
    let dir = fixture();
    let bytes = std::fs::read(dir.join("update.bin")).unwrap();
    let cid = 7 + "transfer-batch".len(); // magic, version, id length, id
                                          // Offsets of one byte inside each field, and the reason expected.
    let params_at = cid + 1;
    let fingerprint_at = bytes.len() - 128 - (1 + 3 + 8 + 8 + 12 + 3 * 32) - 32;
    let inputs_at = fingerprint_at + 32;
    let proof_at = bytes.len() - 128;
    // Exit 2 where the bytes are not a well-formed update (magic, version);
    // 1 where they are one that does not verify; a flipped proof byte is
    // either (a point moved off the curve does not parse).
    let cases: Vec<(&str, usize, &str, &[i32])> = vec![
        ("magic", 0, "not a stateproof", &[2]),
        ("version", 4, "unknown format version", &[2]),
        ("circuit id", 7, "another circuit", &[1]),
        ("parameter name", params_at + 2, "another circuit", &[1]),
        ("parameter value", params_at + 1 + 1 + "depth".len(), "another circuit", &[1]),
        ("key fingerprint", fingerprint_at + 5, "fingerprint", &[1]),
        ("input name", inputs_at + 2, "names differ", &[1]),
        ("input value", inputs_at + 1 + 1 + "old_root".len() + 3, "does not verify", &[1]),
        ("proof A", proof_at + 3, "proof", &[1, 2]),
        ("proof B", proof_at + 40, "proof", &[1, 2]),
        ("proof C", proof_at + 100, "proof", &[1, 2]),
    ];
    for (field, at, reason, codes) in cases {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        let path = dir.join(format!("tampered-{}.bin", field.replace(' ', "-")));
        std::fs::write(&path, &b).unwrap();
        let o = verify_file(&path);
        let code = o.status.code().unwrap_or(-1);
        assert!(codes.contains(&code), "{field}: exit {code}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(err.lines().count(), 1, "{field}: one line on stderr: {err}");
        assert!(err.contains(reason), "{field}: expected {reason:?} in {err:?}");
    }
    // Truncated and extended: not an update at all.
    for b in [bytes[..bytes.len() - 1].to_vec(), [bytes.clone(), vec![0]].concat()] {
        let path = dir.join("cut.bin");
        std::fs::write(&path, &b).unwrap();
        assert_eq!(verify_file(&path).status.code(), Some(2));
    }
}

#[test]
fn unreadable_input_exits_2_without_a_panic() {
    let dir = fixture();
    let o = verify_file(&dir.join("no-such-file.bin"));
    assert_eq!(o.status.code(), Some(2));
    let o = stateproof(&[
        "verify",
        "--vk",
        dir.join("state.json").to_str().unwrap(),
        dir.join("update.bin").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::write(dir.join("bad.json"), b"{\"depth\": 4, \"accounts\": [{]}").unwrap();
    let o = prove_in_fixture("bad.json", "x.bin");
    assert_eq!(o.status.code(), Some(2));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    assert!(!text(&o).contains("RUST_BACKTRACE"));
    let o = stateproof(&["demo", "--slots", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_batch_that_breaks_a_rule_is_refused_with_exit_1() {
    let dir = fixture();
    // Replaying the batch against the state after it: nonces are stale.
    let o = prove_in_fixture("state2.json", "replay.bin");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("bad nonce"), "{}", text(&o));
    assert!(!dir.join("replay.bin").exists());
}

#[test]
fn snarkjs_export_and_inspect() {
    let dir = fixture();
    let out = dir.join("snarkjs");
    let o = stateproof(&[
        "export",
        "snarkjs",
        "--vk",
        dir.join("transfer.vk").to_str().unwrap(),
        "--update",
        dir.join("update.bin").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let public: Vec<String> =
        serde_json::from_slice(&std::fs::read(out.join("public.json")).unwrap()).unwrap();
    assert_eq!(public.len(), 3);
    let vk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("verification_key.json")).unwrap()).unwrap();
    assert_eq!(vk["nPublic"], 3);
    for f in ["transfer.pk", "transfer.vk", "update.bin"] {
        let o = stateproof(&["inspect", dir.join(f).to_str().unwrap()]);
        assert!(o.status.success(), "{f}: {}", text(&o));
    }
    let o = stateproof(&["inspect", dir.join("transfer.pk").to_str().unwrap()]);
    assert!(text(&o).contains("DEVELOPMENT SETUP"));
}

#[test]
fn demo_runs_with_small_parameters() {
    let o = stateproof(&["--json", "demo", "--depth", "4", "--slots", "1", "--backend", "cpu"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert!(v["constraints"].as_u64().unwrap() > 5_000);
}

#[test]
fn demo_with_the_gpu_backend_proves_and_verifies() {
    let o = stateproof(&["--json", "demo", "--depth", "4", "--slots", "1", "--backend", "gpu"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], true);
    let backend = v["backend"].as_str().unwrap();
    let require = std::env::var("STATEPROOF_REQUIRE_GPU").is_ok_and(|v| v == "1");
    if require {
        assert!(backend.starts_with("NTT gpu"), "GPU required but the demo used: {backend}");
    } else if !backend.starts_with("NTT gpu") {
        eprintln!("skipping the GPU part: no adapter ({backend}); the CPU fallback proved instead");
    }
}

#[test]
fn devices_lists_adapters_or_says_there_are_none() {
    let o = stateproof(&["--json", "devices"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = v.as_array().unwrap();
    if std::env::var("STATEPROOF_REQUIRE_GPU").is_ok_and(|v| v == "1") {
        assert!(!list.is_empty());
        assert!(list[0]["max_storage_binding"].as_u64().unwrap() > 0);
    }
}

#[test]
fn gpu_faults_fall_back_with_a_warning_or_fail_clearly() {
    let demo = |fault: &str| {
        Command::new(env!("CARGO_BIN_EXE_stateproof"))
            .args(["--json", "demo", "--depth", "4", "--slots", "1", "--backend", "gpu"])
            .env("STATEPROOF_GPU_FAULT", fault)
            .output()
            .expect("binary runs")
    };
    for fault in ["no-adapter", "device-lost", "out-of-memory"] {
        let o = demo(fault);
        assert!(o.status.success(), "{fault}: {}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["valid"], true, "{fault}");
        let warnings: Vec<_> = String::from_utf8_lossy(&o.stderr)
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .map(str::to_string)
            .collect();
        assert_eq!(warnings.len(), 1, "{fault}: one warning line: {warnings:?}");
        assert!(warnings[0].contains("CPU"), "{fault}: {warnings:?}");
    }
    // A device that silently returns wrong numbers: the prover's self-check
    // refuses to hand out the proof.
    let o = demo("garbage");
    if std::env::var("STATEPROOF_REQUIRE_GPU").is_ok_and(|v| v == "1") {
        assert!(!o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("backend fault"), "{}", text(&o));
        assert!(!text(&o).contains("panicked"));
    }
}

/// Kills `stateproof setup` in the middle of writing its keys, several
/// times: each key file is always either the old one or the new one, whole.
#[test]
fn a_kill_mid_write_leaves_the_old_file_or_the_new_one() {
    let dir = std::env::temp_dir().join(format!("stateproof-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let setup = || {
        Command::new(env!("CARGO_BIN_EXE_stateproof"))
            .args(["setup", "--depth", "4", "--slots", "1", "--out", d])
            .env("STATEPROOF_TEST_WRITE_DELAY_MS", "15")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("binary runs")
    };
    assert!(setup().wait().unwrap().success());
    let fingerprint = |f: &str| -> String {
        let o = stateproof(&["--json", "inspect", dir.join(f).to_str().unwrap()]);
        assert!(o.status.success(), "{f} is not a whole key file: {}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["fingerprint"].as_str().unwrap().to_string()
    };
    let mut seen = std::collections::HashSet::new();
    seen.insert(fingerprint("transfer.pk"));
    for round in 0..4u64 {
        let mut child = setup();
        // Wait for the temporary file to appear, then kill at a varying point.
        let start = std::time::Instant::now();
        let writing = loop {
            let tmp = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().starts_with(".transfer.pk.tmp"));
            if tmp || start.elapsed().as_secs() > 60 {
                break tmp;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        };
        assert!(writing, "setup never started writing");
        std::thread::sleep(std::time::Duration::from_millis(20 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        // The key files are intact: the old ones or complete new ones.
        seen.insert(fingerprint("transfer.pk"));
        fingerprint("transfer.vk");
        for e in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bench_writes_a_report_a_plot_and_raw_data() {
    let dir = std::env::temp_dir().join(format!("stateproof-bench-{}", std::process::id()));
    let o = stateproof(&[
        "--json",
        "bench",
        "--sizes",
        "4,5",
        "--proof-slots",
        "1",
        "--reps",
        "2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let raw: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(raw["machine"]["cores"].as_u64().unwrap() >= 1);
    let series = raw["series"].as_array().unwrap();
    for op in ["MSM G1 (uniform)", "MSM G1 (skewed)", "MSM G2 (uniform)", "NTT"] {
        for size in [16, 32] {
            let rows: Vec<_> =
                series.iter().filter(|s| s["operation"] == op && s["size"] == size).collect();
            assert!(rows.iter().any(|s| s["backend"] == "arkworks"), "{op} {size}");
            assert!(rows.iter().any(|s| s["backend"] == "stateproof-cpu"), "{op} {size}");
            // At least --reps runs, at most 10x for millisecond cases, and
            // the same count for every backend of a case.
            let runs = rows[0]["seconds"].as_array().unwrap().len();
            assert!((2..=20).contains(&runs), "{op} {size}: {runs} runs");
            for s in rows {
                assert_eq!(s["seconds"].as_array().unwrap().len(), runs);
                assert!(s["ratio_to_arkworks"].as_f64().unwrap() > 0.0);
            }
        }
    }
    assert!(series.iter().any(|s| s["operation"].as_str().unwrap().starts_with("Groth16")));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("| size | backend | runs | median | spread | ratio to arkworks |"));
    let svg = std::fs::read_to_string(dir.join("plot.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("polyline"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_transfer_update_exports_to_solidity_and_calldata() {
    let dir = fixture();
    let path = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let sol = path("TransferVerifier.sol");
    let o = stateproof(&["export", "solidity", "--vk", &path("transfer.vk"), "--out", &sol]);
    assert!(o.status.success(), "{}", text(&o));
    let source = std::fs::read_to_string(&sol).unwrap();
    assert!(source.contains("uint256[3] calldata input"), "three public inputs");
    let o = stateproof(&["export", "calldata", "--update", &path("update.bin"), "--abi"]);
    assert!(o.status.success(), "{}", text(&o));
    let hex = String::from_utf8_lossy(&o.stdout);
    assert_eq!(hex.trim().len(), 2 + 2 * (4 + 11 * 32), "{hex}");
}
