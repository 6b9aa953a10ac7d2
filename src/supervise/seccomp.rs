//! The seccomp-bpf filter of the fast engine, and its listener.
//!
//! The first program installs [`Filter`] before it execs; every process of the tree
//! inherits it and none can remove it. Its verdicts:
//! - `execve` and `execveat` (every ABI of this architecture: x86_64, x32 and i386 on
//!   x86_64; aarch64 and arm on aarch64): `SECCOMP_RET_USER_NOTIF`. The task blocks
//!   until the supervisor answers on the listener.
//! - `ptrace(PTRACE_TRACEME | PTRACE_ATTACH | PTRACE_SEIZE)`: `EPERM`. As under the
//!   full-ptrace engine, the tree cannot trace its own processes (nor suspend their
//!   seccomp with `PTRACE_O_SUSPEND_SECCOMP`, nor hold the tasks the supervisor must
//!   seize).
//! - a system call of an architecture not listed: kill the process (fail closed).
//! - everything else: allow, in the kernel, at no cost to the supervisor.
//!
//! Invariants: the kernel lets a filter chain hold only one listener, so no process
//! of the tree can install a listener of its own that would answer first (EBUSY);
//! when the listener is closed (the supervisor died) every execve of the tree fails
//! with ENOSYS.

use nix::errno::Errno;
use std::os::fd::{AsRawFd, OwnedFd};

/// `struct sock_filter`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Insn {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

/// `struct sock_fprog`.
#[repr(C)]
struct Prog {
    len: u16,
    filter: *const Insn,
}

const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JGE_K: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

/// Offsets in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;
/// The low 32 bits of args[0] (little-endian).
const ARG0: u32 = 16;

const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const NOTIFY: u32 = libc::SECCOMP_RET_USER_NOTIF;
const EPERM: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
const KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;

/// The requests that make the caller a tracer.
const TRACE_REQUESTS: [u32; 3] = [0, 16, 0x4206]; // TRACEME, ATTACH, SEIZE

/// One ABI: its AUDIT_ARCH value, the syscall-number bit that selects it within that
/// arch (x32), and its execve, execveat and ptrace numbers.
struct Abi {
    arch: u32,
    execs: [u32; 2],
    ptrace: u32,
}

#[cfg(target_arch = "x86_64")]
const X32: u32 = 0x4000_0000;

#[cfg(target_arch = "x86_64")]
const ABIS: &[Abi] = &[
    Abi {
        arch: 0xc000_003e, // AUDIT_ARCH_X86_64 (x32 numbers are ≥ X32 on it)
        execs: [59, 322],
        ptrace: 101,
    },
    Abi {
        arch: 0x4000_0003, // AUDIT_ARCH_I386 (int 0x80, or a 32-bit program)
        execs: [11, 358],
        ptrace: 26,
    },
];

#[cfg(target_arch = "aarch64")]
const ABIS: &[Abi] = &[
    Abi {
        arch: 0xc000_00b7, // AUDIT_ARCH_AARCH64
        execs: [221, 281],
        ptrace: 117,
    },
    Abi {
        arch: 0x4000_0028, // AUDIT_ARCH_ARM
        execs: [11, 387],
        ptrace: 26,
    },
];

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const ABIS: &[Abi] = &[];

fn stmt(code: u16, k: u32) -> Insn {
    Insn {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

/// A program under construction, with forward jumps to shared endings (kill, notify,
/// EPERM) placed after its last instruction; kill comes first, so falling off the
/// end kills.
#[derive(Default)]
struct Builder {
    insns: Vec<Insn>,
    /// (index of a jump, which ending its true branch goes to)
    fixups: Vec<(usize, u32)>,
}

impl Builder {
    fn push(&mut self, insn: Insn) {
        self.insns.push(insn);
    }

    /// `if A == k goto ending`.
    fn jeq_to(&mut self, k: u32, ending: u32) {
        self.fixups.push((self.insns.len(), ending));
        self.push(Insn {
            code: JEQ_K,
            jt: 0,
            jf: 0,
            k,
        });
    }

    fn finish(mut self) -> Vec<Insn> {
        let endings = [KILL, NOTIFY, EPERM];
        let base = self.insns.len();
        for ret in endings {
            self.push(stmt(RET_K, ret));
        }
        for (at, ending) in self.fixups {
            let slot = endings.iter().position(|e| *e == ending).unwrap_or(0);
            let offset = base + slot - at - 1;
            self.insns[at].jt = u8::try_from(offset).unwrap_or(u8::MAX);
        }
        self.insns
    }
}

/// The filter program (see the module doc).
pub(crate) fn program() -> Vec<Insn> {
    let mut b = Builder::default();
    for abi in ABIS {
        // if arch != abi.arch skip this ABI's block
        let block_len = abi_block_len(abi);
        b.push(stmt(LD_W_ABS, ARCH));
        b.push(Insn {
            code: JEQ_K,
            jt: 0,
            jf: u8::try_from(block_len).unwrap_or(u8::MAX),
            k: abi.arch,
        });
        let start = b.insns.len();
        b.push(stmt(LD_W_ABS, NR));
        #[cfg(target_arch = "x86_64")]
        if abi.arch == ABIS[0].arch {
            // x32: execve 520, execveat 545, ptrace 521, each with the X32 bit.
            b.push(Insn {
                code: JGE_K,
                jt: 0,
                jf: 5,
                k: X32,
            });
            b.jeq_to(X32 | 520, NOTIFY);
            b.jeq_to(X32 | 545, NOTIFY);
            b.push(Insn {
                code: JEQ_K,
                jt: 0,
                jf: 1,
                k: X32 | 521,
            });
            b.push(Insn {
                code: (libc::BPF_JMP | libc::BPF_JA) as u16,
                jt: 0,
                jf: 0,
                k: 4 + 1, // to the ptrace check below the native numbers
            });
            b.push(stmt(RET_K, ALLOW));
        }
        for nr in abi.execs {
            b.jeq_to(nr, NOTIFY);
        }
        b.push(Insn {
            code: JEQ_K,
            jt: 1,
            jf: 0,
            k: abi.ptrace,
        });
        b.push(stmt(RET_K, ALLOW));
        // ptrace: refuse the requests that make the caller a tracer.
        b.push(stmt(LD_W_ABS, ARG0));
        for req in TRACE_REQUESTS {
            b.jeq_to(req, EPERM);
        }
        b.push(stmt(RET_K, ALLOW));
        debug_assert_eq!(b.insns.len() - start, block_len);
    }
    // An architecture not listed above falls through to the first ending: kill.
    b.finish()
}

/// Instructions in one ABI's block after its arch test.
fn abi_block_len(abi: &Abi) -> usize {
    let x32 = if cfg!(target_arch = "x86_64") && abi.arch == 0xc000_003e {
        6
    } else {
        0
    };
    1 + x32 + abi.execs.len() + 2 + 1 + TRACE_REQUESTS.len() + 1
}

/// SECCOMP_FILTER_FLAG_SPEC_ALLOW.
const SPEC_ALLOW: libc::c_ulong = 1 << 2;

/// Everything the child needs to install the filter, built before fork.
pub(crate) struct Filter {
    insns: Vec<Insn>,
}

impl Filter {
    pub(crate) fn new() -> Filter {
        Filter { insns: program() }
    }

    /// Sets no-new-privs and installs the filter with a new listener; returns the
    /// listener fd (close-on-exec) or the errno. Async-signal-safe: the caller may be a
    /// child forked from a multi-threaded process.
    pub(crate) fn install(&self) -> Result<i32, i32> {
        let prog = Prog {
            len: u16::try_from(self.insns.len()).unwrap_or(u16::MAX),
            filter: self.insns.as_ptr(),
        };
        // SAFETY: prctl takes integers; seccomp reads `prog` and the instructions it
        // points to, both alive for the call. No allocation happens here.
        #[allow(unsafe_code)]
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(Errno::last_raw());
            }
            // SPEC_ALLOW (Linux 4.17+): the tree keeps the speculation mitigations it
            // would have unsupervised; without it x86 forces SSBD on every filtered
            // task, a slowdown that has nothing to do with supervision.
            let install = |flags: libc::c_ulong| {
                libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    flags,
                    &prog as *const Prog,
                )
            };
            let mut fd = install(libc::SECCOMP_FILTER_FLAG_NEW_LISTENER | SPEC_ALLOW);
            if fd < 0 && Errno::last_raw() == libc::EINVAL {
                fd = install(libc::SECCOMP_FILTER_FLAG_NEW_LISTENER);
            }
            if fd < 0 {
                return Err(Errno::last_raw());
            }
            i32::try_from(fd).map_err(|_| libc::EBADF)
        }
    }
}

/// One pending notification: an execve (or execveat) that waits for an answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Notice {
    pub id: u64,
    /// The thread that called execve, in the supervisor's pid namespace.
    pub tid: i32,
}

/// Takes the next notification; call it when the listener polls readable.
pub(crate) fn receive(listener: &OwnedFd) -> Result<Notice, Errno> {
    // SAFETY: an all-zero seccomp_notif is valid (the kernel demands zeroes).
    #[allow(unsafe_code)]
    let mut notif: libc::seccomp_notif = unsafe { std::mem::zeroed() };
    // SAFETY: the kernel writes one seccomp_notif into `notif`, a live local.
    #[allow(unsafe_code)]
    let ret = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_RECV,
            &mut notif as *mut libc::seccomp_notif,
        )
    };
    if ret < 0 {
        return Err(Errno::last());
    }
    Ok(Notice {
        id: notif.id,
        tid: i32::try_from(notif.pid).unwrap_or(0),
    })
}

/// Answers notification `id`: run the real execve (`errno` 0), or fail it with `errno`.
pub(crate) fn answer(listener: &OwnedFd, id: u64, errno: i32) -> Result<(), Errno> {
    let resp = libc::seccomp_notif_resp {
        id,
        val: 0,
        error: -errno,
        flags: if errno == 0 {
            libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32
        } else {
            0
        },
    };
    // SAFETY: the kernel reads one seccomp_notif_resp from `resp`, a live local.
    #[allow(unsafe_code)]
    let ret = unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_SEND,
            &resp as *const libc::seccomp_notif_resp,
        )
    };
    if ret < 0 { Err(Errno::last()) } else { Ok(()) }
}

/// Asks the kernel to wake the notifying task on this CPU when it is answered
/// (Linux 6.6+; older kernels say EINVAL and nothing changes).
pub(crate) fn sync_wake(listener: &OwnedFd) {
    const SYNC_WAKE_UP: u64 = 1;
    // SAFETY: SET_FLAGS takes the flags by value.
    #[allow(unsafe_code)]
    unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS,
            SYNC_WAKE_UP,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the program on one seccomp_data, as the kernel would.
    fn run(prog: &[Insn], nr: u32, arch: u32, arg0: u32) -> u32 {
        let mut pc = 0;
        let mut a = 0u32;
        loop {
            let i = prog[pc];
            pc += 1;
            match i.code {
                LD_W_ABS => {
                    a = match i.k {
                        NR => nr,
                        ARCH => arch,
                        ARG0 => arg0,
                        _ => panic!("load at {}", i.k),
                    }
                }
                JEQ_K => pc += usize::from(if a == i.k { i.jt } else { i.jf }),
                JGE_K => pc += usize::from(if a >= i.k { i.jt } else { i.jf }),
                RET_K => return i.k,
                c if c == (libc::BPF_JMP | libc::BPF_JA) as u16 => pc += i.k as usize,
                c => panic!("opcode {c:#x}"),
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_filter_notifies_execs_refuses_tracing_and_allows_the_rest() {
        let p = program();
        let x86_64 = 0xc000_003e;
        let i386 = 0x4000_0003;
        assert_eq!(run(&p, 59, x86_64, 0), NOTIFY);
        assert_eq!(run(&p, 322, x86_64, 0), NOTIFY);
        assert_eq!(run(&p, X32 | 520, x86_64, 0), NOTIFY);
        assert_eq!(run(&p, X32 | 545, x86_64, 0), NOTIFY);
        assert_eq!(run(&p, 11, i386, 0), NOTIFY);
        assert_eq!(run(&p, 358, i386, 0), NOTIFY);
        for (nr, arch) in [(101, x86_64), (X32 | 521, x86_64), (26, i386)] {
            for req in TRACE_REQUESTS {
                assert_eq!(run(&p, nr, arch, req), EPERM, "{nr} {req}");
            }
            // PTRACE_CONT and the like, for a tracer started outside: allowed.
            assert_eq!(run(&p, nr, arch, 7), ALLOW);
        }
        for nr in [0, 1, 56, 57, 58, 60, 231, 435, X32 | 59, X32 | 1] {
            assert_eq!(run(&p, nr, x86_64, 0), ALLOW, "{nr}");
        }
        assert_eq!(run(&p, 1, i386, 0), ALLOW);
        assert_eq!(run(&p, 59, 0x1234, 0), KILL);
    }
}
