import CLibnet
import Glibc

/// `SOCK_RAW | SOCK_CLOEXEC`, for `socket(2)`.
///
/// Spelled once, in a file that imports `CLibnet`: libnet's header pulls `<sys/socket.h>` in under
/// `_BSD_SOURCE`, and in a whole-module (release) build the socket-type enum then belongs to that
/// import, so a file that imports only `Glibc` cannot see `SOCK_RAW` there.
let rawSocketType = Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
