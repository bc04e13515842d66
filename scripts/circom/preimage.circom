pragma circom 2.1.0;

include "circomlib/poseidon.circom";
include "circomlib/bitify.circom";

// Knowledge of a preimage (a, b) of a public Poseidon hash, with a below
// 2^64 and their product public: circomlib gadgets, public outputs and a
// public input, so that the public-signal order (outputs, then inputs) is
// exercised.
template Preimage(rounds) {
    signal input a;
    signal input b;
    signal output hash;
    signal output product;

    component h[rounds];
    for (var i = 0; i < rounds; i++) {
        h[i] = Poseidon(2);
        h[i].inputs[0] <== i == 0 ? a : h[i - 1].out;
        h[i].inputs[1] <== b;
    }
    hash <== h[rounds - 1].out;

    component range = Num2Bits(64);
    range.in <== a;
    product <== a * b;
}

component main {public [b]} = Preimage(ROUNDS);
