//! The sparse Merkle tree of accounts: Poseidon(2) nodes, empty leaves 0.
//!
//! A tree of depth `d` has `2^d` leaves addressed by index; the bits of the
//! index, least significant first, choose left (0) or right (1) from the leaf
//! up. An empty subtree of height `h` hashes to `E[h]` with `E[0] = 0` and
//! `E[h+1] = Poseidon(E[h], E[h])`, so the tree stores only non-empty nodes.

use super::poseidon::{hash2, PoseidonGadget};
use super::{Error, Result};
use crate::Fr;
use ark_ff::Zero;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use std::collections::HashMap;

/// Default depth of the account tree.
pub const DEFAULT_DEPTH: usize = 32;
/// Largest supported depth: indices are `u64`.
pub const MAX_DEPTH: usize = 64;

/// Roots of empty subtrees, `E[0..=depth]`.
pub fn empty_roots(depth: usize) -> Vec<Fr> {
    let mut e = Vec::with_capacity(depth + 1);
    e.push(Fr::zero());
    for h in 0..depth {
        e.push(hash2(e[h], e[h]));
    }
    e
}

/// The root of an empty tree of `depth`, from a table made once (up to
/// [`MAX_DEPTH`]; deeper ones are hashed each time).
pub fn empty_root(depth: usize) -> Fr {
    static TABLE: std::sync::OnceLock<Vec<Fr>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| empty_roots(MAX_DEPTH));
    table.get(depth).copied().unwrap_or_else(|| empty_roots(depth)[depth])
}

/// A sparse Merkle tree holding only its non-empty nodes.
#[derive(Clone, Debug)]
pub struct SparseMerkleTree {
    depth: usize,
    empty: Vec<Fr>,
    /// Non-empty nodes by (height, index at that height); height 0 are leaves.
    nodes: HashMap<(usize, u64), Fr>,
}

/// The siblings from a leaf to the root, leaf level first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleProof {
    /// The leaf's index.
    pub index: u64,
    /// Sibling hashes, `depth` of them, from the leaf's level upward.
    pub siblings: Vec<Fr>,
}

fn check_index(index: u64, depth: usize) -> Result<()> {
    if depth < 64 && index >> depth != 0 {
        return Err(Error::IndexOutOfRange { index, depth });
    }
    Ok(())
}

impl SparseMerkleTree {
    /// An empty tree of the given depth (1 to [`MAX_DEPTH`]).
    pub fn new(depth: usize) -> Result<Self> {
        if depth == 0 || depth > MAX_DEPTH {
            return Err(Error::InvalidDepth { depth, max: MAX_DEPTH });
        }
        Ok(Self { depth, empty: empty_roots(depth), nodes: HashMap::new() })
    }

    /// The tree's depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    fn node(&self, height: usize, index: u64) -> Fr {
        self.nodes.get(&(height, index)).copied().unwrap_or(self.empty[height])
    }

    /// The root.
    pub fn root(&self) -> Fr {
        self.node(self.depth, 0)
    }

    /// The leaf at `index` (0 when empty).
    pub fn leaf(&self, index: u64) -> Result<Fr> {
        check_index(index, self.depth)?;
        Ok(self.node(0, index))
    }

    /// Sets the leaf at `index` and rehashes its path.
    pub fn set(&mut self, index: u64, leaf: Fr) -> Result<()> {
        check_index(index, self.depth)?;
        let mut idx = index;
        let mut cur = leaf;
        for h in 0..self.depth {
            if cur == self.empty[h] {
                self.nodes.remove(&(h, idx));
            } else {
                self.nodes.insert((h, idx), cur);
            }
            let sibling = self.node(h, idx ^ 1);
            cur = if idx & 1 == 0 { hash2(cur, sibling) } else { hash2(sibling, cur) };
            idx >>= 1;
        }
        if cur == self.empty[self.depth] {
            self.nodes.remove(&(self.depth, 0));
        } else {
            self.nodes.insert((self.depth, 0), cur);
        }
        Ok(())
    }

    /// The non-empty node at `(height, index)`, as a store keeps it (`None`
    /// where the subtree is empty).
    pub fn stored(&self, height: usize, index: u64) -> Option<Fr> {
        self.nodes.get(&(height, index)).copied()
    }

    /// The nodes on the path from the leaf at `index` to the root, leaf
    /// first: `(height, index at that height, node)` with `None` for empty
    /// subtrees. What a store writes after the leaf changes.
    pub fn path_nodes(&self, index: u64) -> Result<Vec<(usize, u64, Option<Fr>)>> {
        check_index(index, self.depth)?;
        Ok((0..=self.depth)
            .map(|h| {
                let i = if h >= 64 { 0 } else { index >> h };
                (h, i, self.stored(h, i))
            })
            .collect())
    }

    /// A tree from the non-empty nodes a store kept, without rehashing:
    /// refuses nodes outside the tree and empty-subtree values stored as
    /// nodes. The caller checks what it can afford to (the leaves against
    /// their accounts); a full check is [`SparseMerkleTree::check`].
    pub fn from_stored(
        depth: usize,
        nodes: impl IntoIterator<Item = (usize, u64, Fr)>,
    ) -> Result<Self> {
        let mut tree = Self::new(depth)?;
        for (h, i, node) in nodes {
            let fits = h <= depth && (depth - h >= 64 || i >> (depth - h) == 0);
            if !fits || node == tree.empty[h] {
                return Err(Error::Invalid {
                    what: "stored tree node",
                    reason: format!("({h}, {i}) is outside a depth-{depth} tree or empty"),
                });
            }
            tree.nodes.insert((h, i), node);
        }
        Ok(tree)
    }

    /// Every non-empty node, `(height, index, node)`, in no set order.
    pub fn stored_nodes(&self) -> impl Iterator<Item = (usize, u64, Fr)> + '_ {
        self.nodes.iter().map(|(&(h, i), &n)| (h, i, n))
    }

    /// Number of non-empty leaves.
    pub fn stored_leaves(&self) -> usize {
        self.nodes.keys().filter(|(h, _)| *h == 0).count()
    }

    /// Rehashes every stored inner node from its children: `Ok` when the
    /// tree is consistent.
    pub fn check(&self) -> Result<()> {
        for (&(h, i), &node) in &self.nodes {
            if h == 0 {
                continue;
            }
            let (l, r) = (self.node(h - 1, i << 1), self.node(h - 1, (i << 1) | 1));
            if hash2(l, r) != node {
                return Err(Error::BadMerkleProof);
            }
        }
        Ok(())
    }

    /// The membership proof (sibling path) of the leaf at `index`.
    pub fn proof(&self, index: u64) -> Result<MerkleProof> {
        check_index(index, self.depth)?;
        let siblings = (0..self.depth).map(|h| self.node(h, (index >> h) ^ 1)).collect();
        Ok(MerkleProof { index, siblings })
    }
}

impl MerkleProof {
    /// The root that `leaf` at this proof's index hashes up to.
    pub fn root_for(&self, leaf: Fr) -> Fr {
        let mut cur = leaf;
        for (h, sibling) in self.siblings.iter().enumerate() {
            cur = if (self.index >> h) & 1 == 0 {
                hash2(cur, *sibling)
            } else {
                hash2(*sibling, cur)
            };
        }
        cur
    }

    /// Whether `leaf` is at this proof's index in the tree with `root`.
    pub fn verify(&self, root: Fr, leaf: Fr) -> Result<()> {
        if self.root_for(leaf) == root {
            Ok(())
        } else {
            Err(Error::BadMerkleProof)
        }
    }
}

/// A Merkle path inside a constraint system: index bits and siblings.
/// Membership and update share it, so an update costs two hash chains over
/// one path.
#[derive(Clone, Debug)]
pub struct MerklePathVar {
    /// Index bits, least significant (leaf level) first.
    pub index_bits: Vec<Boolean<Fr>>,
    /// Sibling hashes, leaf level first.
    pub siblings: Vec<FpVar<Fr>>,
}

impl MerklePathVar {
    /// Allocates the siblings of `proof` as witnesses over given index bits.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        index_bits: Vec<Boolean<Fr>>,
        siblings: &[Fr],
    ) -> Result<Self, SynthesisError> {
        let siblings = siblings
            .iter()
            .map(|s| FpVar::new_witness(cs.clone(), || Ok(*s)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { index_bits, siblings })
    }

    /// The root that `leaf` hashes up to along this path (one constraint a
    /// level for the left/right swap, plus Poseidon(2)).
    pub fn root(&self, leaf: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        let mut cur = leaf.clone();
        for (bit, sibling) in self.index_bits.iter().zip(&self.siblings) {
            // left = bit ? sibling : cur; right = cur + sibling - left.
            let left = bit.select(sibling, &cur)?;
            let right = &cur + sibling - &left;
            cur = PoseidonGadget::hash2(&left, &right)?;
        }
        Ok(cur)
    }

    /// Roots before and after replacing `old_leaf` by `new_leaf`.
    pub fn update(
        &self,
        old_leaf: &FpVar<Fr>,
        new_leaf: &FpVar<Fr>,
    ) -> Result<(FpVar<Fr>, FpVar<Fr>), SynthesisError> {
        Ok((self.root(old_leaf)?, self.root(new_leaf)?))
    }

    /// Where `on`: checks that `old_leaf` is at this path under `root` and
    /// moves `root` to the root with `new_leaf` in its place. Elsewhere
    /// checks nothing and leaves `root` as it is.
    pub fn update_if(
        &self,
        root: &mut FpVar<Fr>,
        old_leaf: &FpVar<Fr>,
        new_leaf: &FpVar<Fr>,
        on: &Boolean<Fr>,
    ) -> Result<(), SynthesisError> {
        let (before, after) = self.update(old_leaf, new_leaf)?;
        before.conditional_enforce_equal(root, on)?;
        *root = on.select(&after, root)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_root_table_is_the_hashed_one() {
        for depth in [0, 1, 20, MAX_DEPTH, MAX_DEPTH + 1] {
            assert_eq!(empty_root(depth), empty_roots(depth)[depth], "depth {depth}");
        }
    }
    use ark_relations::gr1cs::ConstraintSystem;

    #[test]
    fn a_tree_rebuilt_from_its_stored_nodes_is_the_same_tree() {
        let mut tree = SparseMerkleTree::new(8).unwrap();
        for (i, v) in [(0u64, 5u64), (3, 7), (255, 9), (3, 0)] {
            tree.set(i, Fr::from(v)).unwrap();
        }
        let stored: Vec<_> = (0..=8)
            .flat_map(|h| (0..(256u64 >> h)).map(move |i| (h, i)))
            .filter_map(|(h, i)| tree.stored(h, i).map(|n| (h, i, n)))
            .collect();
        let again = SparseMerkleTree::from_stored(8, stored.clone()).unwrap();
        assert_eq!(again.root(), tree.root());
        assert_eq!(again.proof(255).unwrap(), tree.proof(255).unwrap());
        again.check().unwrap();
        assert_eq!(again.stored_leaves(), 2);
        // A tampered inner node is found by the full check.
        let mut tampered = stored.clone();
        let inner = tampered.iter_mut().find(|(h, _, _)| *h == 4).unwrap();
        inner.2 += Fr::from(1u64);
        assert!(SparseMerkleTree::from_stored(8, tampered).unwrap().check().is_err());
        // Nodes outside the tree, and stored empty values, are refused.
        assert!(SparseMerkleTree::from_stored(8, [(0, 256, Fr::from(1u64))]).is_err());
        assert!(SparseMerkleTree::from_stored(8, [(9, 0, Fr::from(1u64))]).is_err());
        assert!(SparseMerkleTree::from_stored(8, [(0, 1, Fr::zero())]).is_err());
        // The path nodes are what a store writes after a leaf changes.
        let path = tree.path_nodes(3).unwrap();
        assert_eq!(path.len(), 9);
        assert_eq!(path[0], (0, 3, None));
        assert_eq!(path[8], (8, 0, Some(tree.root())));
    }

    #[test]
    fn empty_tree_root_is_the_empty_root() {
        let t = SparseMerkleTree::new(8).unwrap();
        assert_eq!(t.root(), empty_roots(8)[8]);
        assert_eq!(t.leaf(5).unwrap(), Fr::zero());
    }

    #[test]
    fn set_prove_verify_and_clear() {
        let mut t = SparseMerkleTree::new(10).unwrap();
        let empty = t.root();
        t.set(3, Fr::from(30u64)).unwrap();
        t.set(1023, Fr::from(99u64)).unwrap();
        let root = t.root();
        for (i, v) in [(3u64, 30u64), (1023, 99), (4, 0)] {
            let p = t.proof(i).unwrap();
            p.verify(root, Fr::from(v)).unwrap();
            assert!(p.verify(root, Fr::from(v + 1)).is_err());
        }
        t.set(3, Fr::zero()).unwrap();
        t.set(1023, Fr::zero()).unwrap();
        assert_eq!(t.root(), empty);
        assert!(t.nodes.is_empty());
    }

    #[test]
    fn out_of_range_index_and_depth() {
        let mut t = SparseMerkleTree::new(4).unwrap();
        assert!(matches!(t.set(16, Fr::from(1u64)), Err(Error::IndexOutOfRange { .. })));
        assert!(SparseMerkleTree::new(0).is_err());
        assert!(SparseMerkleTree::new(65).is_err());
        let mut t64 = SparseMerkleTree::new(64).unwrap();
        t64.set(u64::MAX, Fr::from(1u64)).unwrap();
        t64.proof(u64::MAX).unwrap().verify(t64.root(), Fr::from(1u64)).unwrap();
    }

    #[test]
    fn gadget_update_matches_native() {
        let mut t = SparseMerkleTree::new(6).unwrap();
        t.set(9, Fr::from(5u64)).unwrap();
        t.set(10, Fr::from(6u64)).unwrap();
        let old_root = t.root();
        let proof = t.proof(9).unwrap();
        t.set(9, Fr::from(7u64)).unwrap();
        let new_root = t.root();

        let cs = ConstraintSystem::<Fr>::new_ref();
        let bits = (0..6)
            .map(|h| Boolean::new_witness(cs.clone(), || Ok((9u64 >> h) & 1 == 1)))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let path = MerklePathVar::new_witness(cs.clone(), bits, &proof.siblings).unwrap();
        let old = FpVar::new_witness(cs.clone(), || Ok(Fr::from(5u64))).unwrap();
        let new = FpVar::new_witness(cs.clone(), || Ok(Fr::from(7u64))).unwrap();
        let (r0, r1) = path.update(&old, &new).unwrap();
        assert_eq!(r0.value().unwrap(), old_root);
        assert_eq!(r1.value().unwrap(), new_root);
        assert!(cs.is_satisfied().unwrap());
    }
}
