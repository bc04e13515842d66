//! `stateproof groth16 prove` / `verify` on the committed circom test set
//! (prover/testdata/circom): rapidsnark's argument order, snarkjs's JSON,
//! and exit codes for invalid and unusable input. (`.ci/run` also has
//! snarkjs itself verify a proof made here.)

use std::path::{Path, PathBuf};
use std::process::Command;

fn stateproof(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_stateproof")).args(args).output().expect("runs");
    let text =
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    (o.status.code().expect("exit code"), text)
}

fn testdata(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("prover/testdata/circom")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

fn temp() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stateproof-circom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn prove_from_zkey_and_wtns_then_verify_snarkjs_json() {
    let dir = temp();
    let (proof, public) = (dir.join("proof.json"), dir.join("public.json"));
    let (p, q) = (proof.to_str().unwrap(), public.to_str().unwrap());
    let (code, out) = stateproof(&[
        "groth16",
        "prove",
        &testdata("preimage.zkey"),
        &testdata("preimage.wtns"),
        p,
        q,
        "--r1cs",
        &testdata("preimage.r1cs"),
        "--backend",
        "cpu",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("load (read and validate zkey"), "{out}");
    let ours: serde_json::Value = serde_json::from_slice(&std::fs::read(&public).unwrap()).unwrap();
    let theirs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(testdata("snarkjs_public.json")).unwrap()).unwrap();
    assert_eq!(ours, theirs);
    let vk = testdata("verification_key.json");
    let (code, out) = stateproof(&["groth16", "verify", &vk, q, p]);
    assert_eq!(code, 0, "{out}");

    // Another public signal: invalid (exit 1).
    let mut changed = ours.clone();
    changed[0] = serde_json::json!("1");
    let changed_path = dir.join("changed.json");
    std::fs::write(&changed_path, changed.to_string()).unwrap();
    let (code, out) = stateproof(&["groth16", "verify", &vk, changed_path.to_str().unwrap(), p]);
    assert_eq!(code, 1, "{out}");
    // A value ≥ r, and a point off the curve: unusable input (exit 2).
    let mut big = ours.clone();
    big[0] = serde_json::json!(
        "21888242871839275222246405745257275088548364400416034343698204186575808495617"
    );
    std::fs::write(&changed_path, big.to_string()).unwrap();
    let (code, out) = stateproof(&["groth16", "verify", &vk, changed_path.to_str().unwrap(), p]);
    assert_eq!(code, 2, "{out}");
    let mut bad_proof: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    bad_proof["pi_a"][1] = serde_json::json!("5");
    let bad_path = dir.join("bad_proof.json");
    std::fs::write(&bad_path, bad_proof.to_string()).unwrap();
    let (code, out) = stateproof(&["groth16", "verify", &vk, q, bad_path.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
}

#[test]
fn a_bad_witness_or_file_is_refused() {
    let dir = temp();
    let out_files = [dir.join("p.json"), dir.join("q.json")];
    let (p, q) = (out_files[0].to_str().unwrap(), out_files[1].to_str().unwrap());
    // A witness value changed: caught by the r1cs check (exit 1, naming the
    // constraint), and without it by the proof's self-check (exit 1).
    let mut wtns = std::fs::read(testdata("preimage.wtns")).unwrap();
    let last = wtns.len() - 5;
    wtns[last] ^= 1;
    let bad = dir.join("bad.wtns");
    std::fs::write(&bad, &wtns).unwrap();
    let b = bad.to_str().unwrap();
    let zkey = testdata("preimage.zkey");
    let (code, out) =
        stateproof(&["groth16", "prove", &zkey, b, p, q, "--r1cs", &testdata("preimage.r1cs")]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is not satisfied"), "{out}");
    let (code, out) = stateproof(&["groth16", "prove", &zkey, b, p, q, "--backend", "cpu"]);
    assert_eq!(code, 1, "{out}");
    // The files swapped: unusable input (exit 2).
    let (code, out) = stateproof(&["groth16", "prove", b, &zkey, p, q]);
    assert_eq!(code, 2, "{out}");
    assert!(!out.contains("panicked"), "{out}");
}

#[test]
fn solidity_and_calldata_export() {
    let dir = temp();
    let sol = dir.join("V.sol");
    let vk = testdata("verification_key.json");
    let solidity = |name: &str| {
        stateproof(&[
            "export",
            "solidity",
            "--vk",
            &vk,
            "--name",
            name,
            "--out",
            sol.to_str().unwrap(),
        ])
    };
    let (code, out) = solidity("V");
    assert_eq!(code, 0, "{out}");
    let source = std::fs::read_to_string(&sol).unwrap();
    assert!(source.contains("contract V {") && source.contains("uint256[3] calldata input"));
    let (code, out) = solidity("1x");
    assert_eq!(code, 2, "{out}");

    let (proof, public) = (dir.join("sp.json"), dir.join("sq.json"));
    let (code, out) = stateproof(&[
        "groth16",
        "prove",
        &testdata("preimage.zkey"),
        &testdata("preimage.wtns"),
        proof.to_str().unwrap(),
        public.to_str().unwrap(),
        "--backend",
        "cpu",
    ]);
    assert_eq!(code, 0, "{out}");
    let args = ["--proof", proof.to_str().unwrap(), "--public", public.to_str().unwrap()];
    let (code, text) = stateproof(&[&["export", "calldata"][..], &args].concat());
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("[\"0x") && text.matches("0x").count() == 11, "{text}");
    let (code, abi) = stateproof(&[&["export", "calldata", "--abi"][..], &args].concat());
    assert_eq!(code, 0, "{abi}");
    // Selector and 11 words.
    assert_eq!(abi.trim().len(), 2 + 2 * (4 + 11 * 32), "{abi}");
}
