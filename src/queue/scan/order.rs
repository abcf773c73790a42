//! A bucket's listed files put in the order the scan reads them, by their ids' bits.

use std::cmp::Ordering;

use super::{Found, Layout};
use crate::queue::{MessageId, Subdir};

/// From this many files a bucket is sorted by counting its ids' bits, not by comparisons: a
/// bucket of a flood's queue lists thousands (14,800 at 100,000 messages and conf-split 23),
/// and comparing them, about 14 times each, was 4.7 % of `top --json`'s instructions; below
/// this the counting tables cost more than the comparisons.
const RADIX_FROM: usize = 1024;

/// Bits of an id counted in one pass: a table of 2,048 counts, in the first-level cache.
const DIGIT: u32 = 11;

/// The order the listed files of bucket `n`'s messages are read in: by id and subdirectory, and
/// within a subdirectory the file where qmail put it first (`sort_files` reads the first), not a
/// stray copy in another bucket's directory.
pub(super) fn read_order(layout: Layout, n: u32, f: &Found) -> (MessageId, Subdir, bool, u32) {
    let stray = f.dir != home(layout, f.subdir, n);
    (f.id, f.subdir, stray, f.dir)
}

/// The directory a file of `subdir` sits in when it is where qmail put it.
pub(super) fn home(layout: Layout, subdir: Subdir, bucket: u32) -> u32 {
    if layout.is_split(subdir) {
        bucket
    } else {
        u32::MAX
    }
}

/// Sort bucket `n`'s listed files by [`read_order`]: by id and subdirectory, then a stray
/// copy after the file where qmail put it.
pub(super) fn sort_in_read_order(layout: Layout, n: u32, files: &mut [Found]) {
    let whole = |a: &Found, b: &Found| read_order(layout, n, a).cmp(&read_order(layout, n, b));
    if files.len() < RADIX_FROM {
        // Ids and subdirectories tell any two files apart but a stray copy and its home file:
        // the rest of the key is made for those only.
        files.sort_unstable_by(|a, b| by_id_and_subdir(a, b).then_with(|| whole(a, b)));
        return;
    }
    radix_sort_by_id_and_subdir(files);
    // The files of one id and subdirectory (a stray copy and its home, rare) by the whole key.
    for run in files.chunk_by_mut(|a, b| by_id_and_subdir(a, b) == Ordering::Equal) {
        if run.len() > 1 {
            run.sort_unstable_by(whole);
        }
    }
}

fn by_id_and_subdir(a: &Found, b: &Found) -> Ordering {
    a.id.cmp(&b.id).then(a.subdir.cmp(&b.subdir))
}

/// Sort `files` stably by id, then subdirectory: counting passes, the subdirectory first and
/// then each [`DIGIT`] bits of the ids above the smallest, from the lowest (a pass whose digit
/// is the same in every file is skipped). One copy of the files is made for the passes.
fn radix_sort_by_id_and_subdir(files: &mut [Found]) {
    let Some(min) = files.iter().map(|f| f.id.0).min() else {
        return;
    };
    let max = files.iter().map(|f| f.id.0).max().unwrap_or(min);
    let bits = u64::BITS - (max - min).leading_zeros();
    let mut scratch = files.to_vec();
    // `files` and `scratch` take turns as the source; `in_files`: the sorted order is there.
    let mut in_files = true;
    pass(files, &mut scratch, &mut in_files, |f| f.subdir as usize);
    let mask = (1u64 << DIGIT) - 1;
    for shift in (0..bits).step_by(DIGIT as usize) {
        pass(files, &mut scratch, &mut in_files, |f| {
            (((f.id.0 - min) >> shift) & mask) as usize
        });
    }
    if !in_files {
        files.copy_from_slice(&scratch);
    }
}

/// One counting pass from whichever of `files` and `scratch` holds the order (`in_files`)
/// into the other.
fn pass(
    files: &mut [Found],
    scratch: &mut [Found],
    in_files: &mut bool,
    key: impl Fn(&Found) -> usize,
) {
    let moved = match *in_files {
        true => counting_pass(files, scratch, key),
        false => counting_pass(scratch, files, key),
    };
    if moved {
        *in_files = !*in_files;
    }
}

/// `src` into `dst` stably by `key` (below `1 << DIGIT`); `false`, nothing moved, when every
/// file has one key.
fn counting_pass(src: &[Found], dst: &mut [Found], key: impl Fn(&Found) -> usize) -> bool {
    let mut at = [0usize; 1 << DIGIT];
    for f in src {
        at[key(f)] += 1;
    }
    if at.contains(&src.len()) {
        return false;
    }
    let mut start = 0;
    for c in &mut at {
        let count = *c;
        *c = start;
        start += count;
    }
    for f in src {
        let k = key(f);
        dst[at[k]] = *f;
        at[k] += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::EntryKind;
    use super::*;
    use crate::queue::{MessageId, Subdir};

    /// The files come out in the order of their whole [`read_order`] keys, by comparisons and
    /// by counting, on lists of every subdirectory with strays, names listed twice, unsplit
    /// directories, and ids close together or spread over all 64 bits.
    #[test]
    fn files_are_sorted_by_their_whole_read_order() {
        let subdirs = Subdir::ALL;
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut sorted_by_counting = 0;
        for big_todo in [false, true] {
            let layout = Layout { split: 5, big_todo };
            for len in [0, 1, 2, 7, 300, 1023, 1024, 5000, 20_000] {
                for spread in [len as u64 / 3 + 1, 1 << 12, 1 << 40, u64::MAX] {
                    let n = (next() % 5) as u32;
                    let base = next() % (u64::MAX - spread.min(u64::MAX / 2));
                    let files: Vec<Found> = (0..len)
                        .map(|_| {
                            let subdir = subdirs[(next() % 7) as usize];
                            let dir = match next() % 4 {
                                0 => (next() % 5) as u32,
                                1 => u32::MAX,
                                _ => n,
                            };
                            let id = match spread {
                                u64::MAX => next(),
                                s => base + next() % s,
                            };
                            Found {
                                id: MessageId(id),
                                subdir,
                                kind: EntryKind::File,
                                dir,
                            }
                        })
                        .collect();
                    let mut sorted = files.clone();
                    sort_in_read_order(layout, n, &mut sorted);
                    let mut want = files;
                    want.sort_by_key(|f| read_order(layout, n, f));
                    assert_eq!(sorted, want, "{len} files, ids over {spread}");
                    sorted_by_counting += usize::from(len >= RADIX_FROM);
                }
            }
        }
        assert_eq!(sorted_by_counting, 2 * 3 * 4);
    }

    /// Ids of one value, of two, and of one value but for a few, in a bucket large enough to
    /// be counted.
    #[test]
    fn ids_all_alike_are_sorted_by_subdirectory() {
        let layout = Layout {
            split: 3,
            big_todo: false,
        };
        for ids in [
            &[7u64][..],
            &[7, 8],
            &[0, u64::MAX],
            &[7, 7, 7, 7, 7, 7, 7, 7, 7, 9],
        ] {
            let files: Vec<Found> = (0..3000)
                .map(|i| Found {
                    id: MessageId(ids[i % ids.len()]),
                    subdir: [Subdir::Remote, Subdir::Mess, Subdir::Info][i % 3],
                    kind: EntryKind::File,
                    dir: (i % 3) as u32,
                })
                .collect();
            let mut sorted = files.clone();
            sort_in_read_order(layout, 1, &mut sorted);
            let mut want = files;
            want.sort_by_key(|f| read_order(layout, 1, f));
            assert_eq!(sorted, want);
        }
    }
}
