//! A tiny, bounded reader (and a writer for fixtures) of D. J. Bernstein's cdb format.
//!
//! vpopmail keeps `vpasswd.cdb` next to `vpasswd`: key = login, data = the rest of the vpasswd
//! line after the first `:`. We only need every record, never a lookup, so the reader walks the
//! record area sequentially. The `cdb` crate on crates.io (0.6, 2018) was considered and not
//! used: it maps the file and its record iterator adds untrusted `u32` lengths without checks,
//! so a hostile file makes it panic. This reader reads at most [`MAX_CDB_BYTES`], checks every
//! length against the file, and stops after [`MAX_CDB_RECORDS`].
//!
//! Format: 256 pairs (table position, slot count) of little-endian `u32` (2048 bytes); then the
//! records `klen datalen key data`; then the 256 hash tables of `(hash, record position)` slots.

/// Largest `vpasswd.cdb` read; a bigger file is read up to this size and reported as truncated.
pub const MAX_CDB_BYTES: u64 = 64 * 1024 * 1024;

/// Most records taken from one file.
pub const MAX_CDB_RECORDS: usize = 1_000_000;

const HEADER_BYTES: usize = 2048;

/// Why a cdb file could not be read completely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CdbDamage {
    /// Shorter than the 2048-byte header.
    NoHeader,
    /// A record's lengths run past the end of the record area.
    BadRecord,
    /// More than [`MAX_CDB_RECORDS`] records.
    TooManyRecords,
}

impl std::fmt::Display for CdbDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CdbDamage::NoHeader => "shorter than a cdb header",
            CdbDamage::BadRecord => "a record runs past the end of the data",
            CdbDamage::TooManyRecords => "too many records",
        })
    }
}

/// The records of a cdb file, in file order, and what stopped the walk early, if anything.
#[derive(Debug, Default)]
pub struct CdbRecords {
    /// `(key, data)` pairs.
    pub records: Vec<(Vec<u8>, Vec<u8>)>,
    /// Set when the walk stopped before the end of the record area.
    pub damage: Option<CdbDamage>,
}

fn u32_at(bytes: &[u8], pos: usize) -> Option<usize> {
    let b = bytes.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// Where the record area ends: the lowest hash-table position (tables follow the records),
/// clamped to the file.
fn records_end(bytes: &[u8]) -> usize {
    (0..256)
        .filter_map(|i| u32_at(bytes, i * 8))
        .filter(|&p| p >= HEADER_BYTES)
        .min()
        .unwrap_or(bytes.len())
        .min(bytes.len())
}

/// Read every record of an in-memory cdb file. Never panics, whatever the bytes.
pub fn records(bytes: &[u8]) -> CdbRecords {
    let mut out = CdbRecords::default();
    if bytes.len() < HEADER_BYTES {
        out.damage = Some(CdbDamage::NoHeader);
        return out;
    }
    let end = records_end(bytes);
    let mut pos = HEADER_BYTES;
    while pos < end {
        if out.records.len() >= MAX_CDB_RECORDS {
            out.damage = Some(CdbDamage::TooManyRecords);
            break;
        }
        let record = (|| {
            let klen = u32_at(bytes, pos)?;
            let dlen = u32_at(bytes, pos + 4)?;
            let key_at = pos.checked_add(8)?;
            let data_at = key_at.checked_add(klen)?;
            let next = data_at.checked_add(dlen)?;
            if next > end {
                return None;
            }
            Some((
                bytes[key_at..data_at].to_vec(),
                bytes[data_at..next].to_vec(),
                next,
            ))
        })();
        match record {
            Some((k, d, next)) => {
                out.records.push((k, d));
                pos = next;
            }
            None => {
                out.damage = Some(CdbDamage::BadRecord);
                break;
            }
        }
    }
    out
}

/// cdb's hash: `h = 5381; h = (h << 5) + h ^ byte`.
pub fn hash(key: &[u8]) -> u32 {
    key.iter().fold(5381u32, |h, &b| {
        (h.wrapping_shl(5).wrapping_add(h)) ^ u32::from(b)
    })
}

/// Build a complete cdb file (records and hash tables, as cdbmake writes them). For fixtures and
/// tests; the tool itself never writes a cdb.
pub fn build(records: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = vec![0u8; HEADER_BYTES];
    let mut buckets: Vec<Vec<(u32, u32)>> = vec![Vec::new(); 256];
    for (k, d) in records {
        let pos = out.len() as u32;
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(d.len() as u32).to_le_bytes());
        out.extend_from_slice(k);
        out.extend_from_slice(d);
        let h = hash(k);
        buckets[(h & 0xff) as usize].push((h, pos));
    }
    for (i, bucket) in buckets.iter().enumerate() {
        let slots = bucket.len() * 2;
        let mut table = vec![(0u32, 0u32); slots];
        for &(h, pos) in bucket {
            let mut at = ((h >> 8) as usize) % slots;
            while table[at].1 != 0 {
                at = (at + 1) % slots;
            }
            table[at] = (h, pos);
        }
        let table_pos = out.len() as u32;
        out[i * 8..i * 8 + 4].copy_from_slice(&table_pos.to_le_bytes());
        out[i * 8 + 4..i * 8 + 8].copy_from_slice(&(slots as u32).to_le_bytes());
        for (h, pos) in table {
            out.extend_from_slice(&h.to_le_bytes());
            out.extend_from_slice(&pos.to_le_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_order_and_bytes() {
        let recs: Vec<(&[u8], &[u8])> = vec![
            (b"test", b"hash:1:0:Test:/d:NOQUOTA:x"),
            (b"\xff\x1b[2J", b""),
            (b"", b"a"),
        ];
        let file = build(&recs);
        let got = records(&file);
        assert_eq!(got.damage, None);
        let want: Vec<(Vec<u8>, Vec<u8>)> =
            recs.iter().map(|(k, d)| (k.to_vec(), d.to_vec())).collect();
        assert_eq!(got.records, want);
    }

    #[test]
    fn known_hash_values() {
        // Values from the cdb reference implementation's hash (djb's cdb_hash.c).
        assert_eq!(hash(b""), 5381);
        assert_eq!(hash(b"a"), (5381u32 << 5).wrapping_add(5381) ^ 97);
    }

    #[test]
    fn empty_database_has_no_records() {
        let got = records(&build(&[]));
        assert!(got.records.is_empty());
        assert_eq!(got.damage, None);
    }

    #[test]
    fn short_file_is_damage_not_panic() {
        assert_eq!(records(b"").damage, Some(CdbDamage::NoHeader));
        assert_eq!(records(&[0u8; 100]).damage, Some(CdbDamage::NoHeader));
    }

    #[test]
    fn huge_lengths_are_damage_not_panic() {
        let mut file = build(&[(b"test", b"data")]);
        // Overwrite klen with u32::MAX: the length sum would overflow a u32 reader.
        file[HEADER_BYTES..HEADER_BYTES + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let got = records(&file);
        assert!(got.records.is_empty());
        assert_eq!(got.damage, Some(CdbDamage::BadRecord));
    }

    #[test]
    fn hostile_header_positions_are_clamped() {
        let mut file = build(&[(b"a", b"b")]);
        for i in 0..256 {
            file[i * 8..i * 8 + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        }
        let got = records(&file);
        // The record area now runs to the end of the file: the first record still reads, then
        // the hash tables are taken as a damaged record.
        assert_eq!(got.records.first().map(|r| r.0.as_slice()), Some(&b"a"[..]));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in [2048usize, 2056, 2100, 4096] {
            let mut file = Vec::with_capacity(len);
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                file.push((seed & 0xff) as u8);
            }
            let _ = records(&file);
        }
    }
}
