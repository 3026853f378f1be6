//! How the server's threads share the CPU.
//!
//! SQLite allows one writer, and each write holds it for its statement plus the time its
//! threads wait to be scheduled. On a busy machine that wait, not SQLite, set the write rate:
//! the request workers always had work and kept the database threads queued behind them.
//! Running the request workers a few nice levels below the database threads (which `db`
//! opens from the write lane's thread, not from a request worker) lets a database thread run the moment it has work,
//! so the single writer is released sooner and reads finish their statements sooner too.
//! `freight bench load` measured the effect; see the README.
//!
//! The database threads go further and ask for a priority above normal
//! (`FREIGHT_DB_NICE`, default −5): the write lane's thread and the SQLite connection threads
//! it opens (which inherit it) then win against every other runnable thread on the machine,
//! the load generator of `freight bench load` included, and the one writer is held for less
//! time per write. Going below nice 0 needs root or `CAP_SYS_NICE`; without it the database
//! threads stay at normal priority and one line says so.
//!
//! Raising a thread's nice value needs no privilege. `FREIGHT_WORKER_NICE=0` and
//! `FREIGHT_DB_NICE=0` turn each off.

/// Nice levels the request workers run below normal unless `FREIGHT_WORKER_NICE` (a `Config`
/// setting) says otherwise.
pub const DEFAULT_WORKER_NICE: i32 = 5;

/// The nice level the database threads ask for unless `FREIGHT_DB_NICE` says otherwise.
pub const DEFAULT_DB_NICE: i32 = -5;

/// Sets the calling thread's nice value (Linux: per thread), which threads it starts later
/// inherit; 0 leaves it alone. Failure only costs speed, so it is logged, not fatal: `whose`
/// names the threads in that line (going below 0 needs root or `CAP_SYS_NICE`).
pub fn set_current_thread_nice(nice: i32, whose: &str) {
    if nice == 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let thread = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(thread), nice) {
            eprintln!("freight: {whose} stay at their priority (nice {nice}: {e})");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = whose;
}
