//! The allocator setting of the process: as many glibc malloc arenas as cores, not eight each.

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
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() || tunables.contains("arena_max") {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let arenas = i32::try_from(cores).unwrap_or(i32::MAX);
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)] // the crate's only unsafe: see SAFETY
    // SAFETY: mallopt sets a tunable of glibc's allocator and takes no pointers; M_ARENA_MAX
    // only bounds how many arenas later allocations may create.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = arenas;
}
