//! A large candidate's members as one bit a record, while `top` gathers every key's candidates.
//!
//! `top` keeps each culprit's and suspect's members until it lists them (to skip a cluster
//! mostly covered by one listed before). A flood's few large clusters, each nearly the whole
//! queue, took 4 bytes a member: 17 MB at a million messages, held while the next keys were
//! grouped. One bit a record holds any cluster in 125 KB; a small cluster keeps its list.

/// Members as a bitmap of record indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MemberBits(Vec<u64>);

impl MemberBits {
    /// The bitmap of `members` (indices below `records`), when it is smaller than their list:
    /// `None` for a cluster of fewer than `records / 32` members.
    pub(super) fn of(members: &[u32], records: usize) -> Option<MemberBits> {
        if members.len() <= records / 32 {
            return None;
        }
        let mut bits = vec![0u64; records.div_ceil(64)];
        for &i in members {
            if let Some(word) = bits.get_mut(i as usize / 64) {
                *word |= 1 << (i % 64);
            }
        }
        Some(MemberBits(bits))
    }

    /// The members in record order, as the grouping listed them.
    pub(super) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let base = w as u32 * 64;
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros();
                    rest &= rest - 1;
                    base + bit
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_give_back_the_members_in_order_and_only_when_smaller() {
        let members: Vec<u32> = (0..1000)
            .filter(|i| i % 3 != 1)
            .chain([1000, 1063])
            .collect();
        let bits = MemberBits::of(&members, 1064).expect("a large cluster");
        assert_eq!(bits.iter().collect::<Vec<u32>>(), members);
        assert_eq!(bits.0.len(), 17);
        // 33 of 1,064 records (1,064 / 32 = 33): the list is as small, kept as a list.
        assert_eq!(MemberBits::of(&members[..33], 1064), None);
        assert!(MemberBits::of(&members[..34], 1064).is_some());
        assert_eq!(MemberBits::of(&[], 0), None);
    }
}
