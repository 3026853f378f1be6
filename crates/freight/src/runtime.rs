//! How the server's threads share the CPU.
//!
//! SQLite allows one writer, and each write holds it for its statement plus the time its
//! threads wait to be scheduled. On a busy machine that wait, not SQLite, set the write rate:
//! the request workers always had work and kept the database threads queued behind them.
//! Running the request workers a few nice levels below the database threads (which `db`
//! opens from a normal-priority thread) lets a database thread run the moment it has work,
//! so the single writer is released sooner and reads finish their statements sooner too.
//! `freight bench load` measured the effect; see the README.
//!
//! Raising a thread's nice value needs no privilege. `FREIGHT_WORKER_NICE=0` turns it off.

/// Nice levels the request workers run below normal unless `FREIGHT_WORKER_NICE` (a `Config`
/// setting) says otherwise.
pub const DEFAULT_WORKER_NICE: i32 = 5;

/// Sets the calling thread's nice value (Linux: per thread). Failure only costs speed, so it
/// is logged, not fatal.
pub fn lower_current_thread_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let thread = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(thread), nice) {
            eprintln!("freight: could not lower a worker thread's priority: {e}");
        }
    }
}
