//! Byte sizes as the operator reads them: the one formatter the CLI and the TUI share.
//!
//! Binary units (1 KiB = 1024 bytes), as `du -h`, `ls -lh` and qmail's own docs count, so a plan
//! reads the same size in the CLI's dry run and in the TUI's confirmation.

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
    use super::*;

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
