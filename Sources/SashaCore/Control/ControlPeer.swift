#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Who may talk to the control socket: root and the daemon's own user, checked on every
/// connection with the kernel's word for it (`SO_PEERCRED`). The socket's mode 0600 and the
/// folder's 0700 say the same, but a mode can be widened by hand or by a umask mistake; the
/// credential check does not depend on them. Through the socket anyone could swap the policy.
enum ControlPeer {

    /// Why a peer with `uid` is refused, or nil when it may talk to the daemon.
    static func refusal(uid: uid_t, daemonUser: uid_t) -> String? {
        guard uid != 0, uid != daemonUser else { return nil }
        return "the control socket answers only root and the daemon's user (uid \(daemonUser)), not uid \(uid); "
            + "run sasha status or sasha policy set as one of them"
    }

    /// The connected peer's user, from the kernel; nil if the channel cannot say (refused then).
    static func user(of channel: any Channel) -> EventLoopFuture<uid_t?> {
        guard let provider = channel as? any SocketOptionProvider else { return channel.eventLoop.makeSucceededFuture(nil) }
        let credentials: EventLoopFuture<Credentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return credentials.map { Optional($0.uid) }.recover { _ -> uid_t? in nil }
    }

    /// Linux's `struct ucred`, which Glibc shows Swift only under `_GNU_SOURCE`: three 32-bit
    /// fields in this order; getsockopt fills it by size (ControlAccessTests checks the 12 bytes).
    struct Credentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }
}

/// The whole conversation with a refused peer: its request is read and dropped, one error line
/// goes back, then the connection closes. (Answering before reading would close a socket with
/// unread bytes, which resets the connection and loses the line.)
final class RefusedControlPeer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let message: String
    private var answered = false

    init(message: String) { self.message = message }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        let line = ControlResponder.error(message) + "\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line))).whenComplete { [context] _ in
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
