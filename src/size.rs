//! Sizes as the operator reads them: counts with thousands separators, bytes in binary units.
//!
//! The one formatter of each that the analysis' reasons, the CLI and the TUI share, so a count
//! or a size reads the same in `top`, the CLI's dry run and the TUI's confirmation. Binary units
//! (1 KiB = 1024 bytes), as `du -h`, `ls -lh` and qmail's own docs count.

/// An unsigned count [`thousands`] writes: the analysis counts in `usize`, the faces often in
/// `u64`, and neither needs a cast.
pub trait Count: std::fmt::Display + Copy {}
impl Count for u64 {}
impl Count for usize {}
impl Count for u32 {}

/// `1234567` → `1,234,567`.
pub fn thousands(n: impl Count) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `1 recipient`, `1,134 recipients`: the count with [`thousands`] and the noun that agrees.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    let noun = if n == 1 { one } else { many };
    format!("{} {noun}", thousands(n))
}

/// `512 B`, `424.4 KiB`, `12.3 MiB`, `1.5 GiB`.
pub fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    match n {
        n if n >= GIB => format!("{:.1} GiB", n as f64 / GIB as f64),
        n if n >= MIB => format!("{:.1} MiB", n as f64 / MIB as f64),
        n if n >= KIB => format!("{:.1} KiB", n as f64 / KIB as f64),
        n => format!("{n} B"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_count_agrees_with_its_noun_and_is_grouped() {
        assert_eq!(counted(1, "recipient", "recipients"), "1 recipient");
        assert_eq!(counted(0, "recipient", "recipients"), "0 recipients");
        assert_eq!(
            counted(1134, "marked message", "marked messages"),
            "1,134 marked messages"
        );
    }

    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0u64), "0");
        assert_eq!(thousands(999usize), "999");
        assert_eq!(thousands(1000u32), "1,000");
        assert_eq!(thousands(1_234_567u64), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        // The plan of issue 19: the TUI said "434.6 kB" where the CLI said this.
        assert_eq!(human_bytes(434_600), "424.4 KiB");
        assert_eq!(human_bytes(12_900_000), "12.3 MiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
    }
}
