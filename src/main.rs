//! The `lore` binary. Everything it does is in the library's `main`, so that the
//! library's items stay private to it and the compiler finds the dead ones.

fn main() -> std::process::ExitCode {
    no_huge_pages();
    lore::main()
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc asks for them on its
/// arenas, and the kernel then zeroes 2 MiB on the first touch of each, again after each
/// purge: a third of a 100,000-row `lore import` went to that (`perf`: `clear_page_erms`
/// under `do_huge_pmd_anonymous_page`). A run of a few seconds gains nothing from fewer
/// TLB misses that pays for it. Where the call fails (an old kernel), nothing changes.
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes an integer flag and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}
