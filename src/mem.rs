//! Memory the allocator holds but no longer uses.

/// Platform records applied since the last give-back before the next one
/// is worth its cost (a trickle of events never triggers it).
pub const GIVE_BACK_AFTER: u64 = 2_000;

/// Give freed memory back. Events and runs are allocated on the UI thread
/// and freed on the journal thread once written; mimalloc returns such
/// cross-thread frees to the owning thread's heap, and lets go of the
/// pages, only when that thread next collects — after a flood that can be
/// tens of megabytes kept resident for nothing. Its documentation suggests
/// exactly this call, every so often, on a thread whose blocks other
/// threads free. Forced, so the pages go back to the system: about 6 ms
/// with a million events held, so the UI loop makes it on its 1 s tick
/// only after a flood (see [`GIVE_BACK_AFTER`]), never while idle.
pub fn give_back() {
    // SAFETY: mi_collect takes no pointers and may be called at any time
    // from any thread; without mimalloc as the global allocator it only
    // tidies mimalloc's own (empty) heap for this thread.
    unsafe { libmimalloc_sys::mi_collect(true) }
}
