//! The allocator settings of the process: as many glibc malloc arenas as cores, not eight each,
//! and large blocks handed back to the system when freed.

/// Cap glibc's malloc arenas at one per core, unless `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES`
/// (`glibc.malloc.arena_max`) says otherwise.
///
/// glibc gives each thread that contends for the heap an arena of its own, up to eight per core.
/// The scan reads with a pool of eight threads per core (for cold-cache reads in flight), so a
/// million records, their recipient lists and the interner's strings end up spread over up to
/// sixteen arenas on two cores, each holding freed memory it cannot hand to the others: at
/// 1,000,000 messages that was 40-100 MB of peak resident memory (issue 9 measured
/// `qtriage top`: 380-411 MB by default, 343 MB with two arenas, the same CPU time).
///
/// Call it first thing in `main`, before any thread starts. Elsewhere than glibc it does nothing.
pub fn limit_malloc_arenas() {
    // The operator's own setting wins (either way glibc reads it).
    if operator_set("MALLOC_ARENA_MAX", "arena_max") {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let arenas = i32::try_from(cores).unwrap_or(i32::MAX);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)] // one of the crate's two unsafe calls: see SAFETY
    // SAFETY: mallopt sets a tunable of glibc's allocator and takes no pointers; M_ARENA_MAX
    // only bounds how many arenas later allocations may create.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = arenas;
}

/// The size from which allocations are mapped on their own, and unmapped when freed.
pub const LARGE_BLOCK: usize = 256 * 1024;

/// Allocate blocks of [`LARGE_BLOCK`] bytes and more on their own mappings, so that freeing one
/// hands its memory back to the system at once, unless `MALLOC_MMAP_THRESHOLD_` or
/// `GLIBC_TUNABLES` (`glibc.malloc.mmap_threshold`) says otherwise. `main` calls it for every
/// command (the TUI never imports the CLI), and so does the bench's child process.
///
/// glibc starts mapping blocks from 128 KiB but raises that bar to the size of every mapped
/// block freed (up to 32 MiB), so a scan's listing buffers (a few MB each, ~65 MB in all at
/// a million messages) end up inside the arenas and stay resident after they are freed,
/// under the million records the TUI then keeps for hours: at 1,000,000 messages its peak
/// was 380 MiB resident for ~310 MiB allocated; with the bar fixed, 310 MiB resident, the same
/// CPU time (docs/performance.md). `top --json` at a million messages: 197 -> 187 MB peak
/// resident (the scan's freed listing under the records), the same CPU time. Elsewhere than
/// glibc it does nothing.
pub fn hand_back_large_blocks() {
    if operator_set("MALLOC_MMAP_THRESHOLD_", "mmap_threshold") {
        return;
    }
    let bytes = i32::try_from(LARGE_BLOCK).unwrap_or(i32::MAX);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)] // one of the crate's two unsafe calls: see SAFETY
    // SAFETY: mallopt sets a tunable of glibc's allocator and takes no pointers; a fixed
    // M_MMAP_THRESHOLD only decides how later allocations are made, not where existing ones live.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, bytes);
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = bytes;
}

/// Has the operator set this allocator setting, by its environment variable or in
/// `GLIBC_TUNABLES`?
fn operator_set(variable: &str, tunable: &str) -> bool {
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    std::env::var_os(variable).is_some() || set_in(&tunables, tunable)
}

/// Does `GLIBC_TUNABLES` text `tunables` set `glibc.malloc.<name>`?
fn set_in(tunables: &str, name: &str) -> bool {
    tunables
        .split(':')
        .filter_map(|t| t.split_once('='))
        .any(|(key, _)| key.trim() == format!("glibc.malloc.{name}"))
}

#[cfg(test)]
mod tests {
    use super::set_in;

    #[test]
    fn the_operators_glibc_tunables_are_recognised_by_name() {
        let t = "glibc.malloc.arena_max=4:glibc.malloc.mmap_threshold=1048576";
        assert!(set_in(t, "arena_max"));
        assert!(set_in(t, "mmap_threshold"));
        assert!(!set_in("glibc.malloc.trim_threshold=1", "mmap_threshold"));
        assert!(!set_in("glibc.malloc.arena_test=2", "arena_max"));
        assert!(!set_in("", "arena_max"));
    }
}
