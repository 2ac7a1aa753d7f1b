import NIOCore
import SashaBase
import Synchronization

/// The open connections of one server, so `stop()` can close them. Touched once when a
/// connection opens and once when it closes, never per request.
final class ConnectionRegistry: Sendable {
    private let channels = Protected<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLock { $0.removeValue(forKey: key) }
        }
    }

    var count: Int { channels.withLock { $0.count } }

    /// Closes every connection and waits until they are all closed.
    func closeAll() async {
        let open = channels.withLock { Array($0.values) }
        for channel in open {
            channel.close(promise: nil)
        }
        for channel in open {
            try? await channel.closeFuture.get()
        }
    }
}
