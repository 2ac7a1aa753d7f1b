import CPcap
import Synchronization

#if canImport(Glibc)
import Glibc
import SashaBase
#endif

/// Frames from one interface, handed one at a time to a handler on a thread the session owns.
///
/// The L4 dispatchers see every client frame for the VIP here. Opening binds the capture socket
/// in the calling thread's network namespace; `start` runs the receive loop on a dedicated
/// pthread (not the Swift pool: the loop blocks in poll and must not starve other work), and
/// `stop` ends it promptly and joins it.
///
/// The handler gets each frame where it lies in libpcap's ring (the kernel's packet ring, which
/// libpcap maps readable and writable), so it may rewrite it in place (MACs, addresses,
/// checksums) and inject it: no copy, no allocation and no lock per frame. The bytes are valid
/// only during the handler call; the slot goes back to the kernel after it.
///
/// On a real NIC, turn receive offloads off on the capture interface (`ethtool -K eth0 gro off
/// lro off`): with GRO the kernel hands the capture merged frames larger than the MTU, which
/// cannot be re-sent as they are. Frames longer than `snapLength` are counted as truncated and
/// never handed on.
public final class CaptureSession: @unchecked Sendable {
    // @unchecked: `handle` is used by the receive thread only once started
    // (pcap_breakloop is the one call libpcap allows from another thread); the shared state is
    // in atomics and mutexes.

    /// Called on the receive thread for each frame, with the frame's bytes (from the Ethernet
    /// header on) in libpcap's ring, writable until the handler returns.
    public typealias Handler = @Sendable (UnsafeMutableRawBufferPointer) -> Void

    public let options: CaptureOptions
    let handle: PcapHandle
    var handler: Handler = { _ in }
    /// Called on the receive thread when the link has been idle for a poll timeout.
    var idle: () -> Void = {}

    let received = RelaxedCounter()
    let droppedByKernel = RelaxedCounter()
    let droppedByInterface = RelaxedCounter()
    let truncated = RelaxedCounter()
    let stopping = Atomic<Bool>(false)
    let stoppedBy = Protected<CaptureError?>(nil)
    private let thread = Protected<ThreadState>(.notStarted)

    private enum ThreadState {
        case notStarted
        case running(pthread_t)
        case finished
    }

    /// How long the receive loop waits in poll before it looks at `stopping` again: the bound on
    /// how long `stop` can take when no frame arrives.
    static let pollTimeoutMilliseconds: Int32 = 50

    /// Opens and activates the capture (in the calling thread's network namespace) and installs
    /// the filter; frames queue in the kernel buffer until `start`.
    public init(options: CaptureOptions) throws(CaptureError) {
        self.options = options
        handle = try PcapHandle(options: options)
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        // Non-blocking, so pcap_dispatch returns when the ring is empty and the loop's poll
        // (with its timeout) is the only place it waits.
        guard pcap_setnonblock(handle.pointer, 1, &errorBuffer) == 0 else {
            throw .pcap(interface: options.interface, operation: "pcap_setnonblock", reason: PcapHandle.text(errorBuffer))
        }
    }

    /// Starts the receive thread, which calls `handler` for each frame until `stop`, and `idle`
    /// whenever no frame came for `pollTimeoutMilliseconds` (housekeeping that must not wait for
    /// the next frame).
    public func start(_ handler: @escaping Handler, idle: @escaping () -> Void = {}) throws(CaptureError) {
        let started: Result<Void, CaptureError> = thread.withLock { state in
            guard case .notStarted = state else {
                return .failure(.pcap(interface: options.interface, operation: "start", reason: "a session starts once (it was started or stopped already): open a new one"))
            }
            self.handler = handler
            self.idle = idle
            // The thread holds the session until its loop ends, so dropping the last outside
            // reference without `stop` cannot free what the loop is using.
            let context = Unmanaged.passRetained(self).toOpaque()
            var created = pthread_t()
            let status = pthread_create(&created, nil, { context in
                let session = Unmanaged<CaptureSession>.fromOpaque(context!).takeRetainedValue()
                session.receiveLoop()
                return nil
            }, context)
            guard status == 0 else {
                Unmanaged<CaptureSession>.fromOpaque(context).release()
                return .failure(.pcap(interface: options.interface, operation: "pthread_create", reason: "errno \(status)"))
            }
            _ = setThreadName(created, "sasha-capture") // shows in top -H and /proc
            state = .running(created)
            return .success(())
        }
        try started.get()
    }

    /// Ends the receive loop and waits for its thread: within `pollTimeoutMilliseconds` when the
    /// link is idle, or after the frame in hand when it is busy. Safe to call more than once,
    /// from any thread; called from the handler, it returns at once and the loop ends after it.
    public func stop() {
        let running: pthread_t? = thread.withLock { state in
            defer { state = .finished }
            if case .running(let thread) = state { return thread }
            return nil
        }
        stopping.store(true, ordering: .releasing)
        guard let running else { return }
        pcap_breakloop(handle.pointer)
        if pthread_equal(running, pthread_self()) != 0 {
            pthread_detach(running)
            return
        }
        pthread_join(running, nil)
    }

    /// Frames received and dropped so far. Kernel drops are read every few hundred dispatches
    /// and whenever the link is idle, by the receive thread (reading them resets the kernel's
    /// counters, so only one thread may).
    public var counters: CaptureCounters {
        CaptureCounters(
            received: received.current, droppedByKernel: droppedByKernel.current,
            droppedByInterface: droppedByInterface.current, truncated: truncated.current)
    }

    /// Whether `stop` was called: a session that is stopping, or stopped, is done for good.
    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Why the receive loop ended by itself (for example, the interface went down), if it did.
    /// Call `stop` then too: it joins the finished thread.
    public var failure: CaptureError? { stoppedBy.withLock { $0 } }

    /// Whether the capture socket is still bound to an interface. When its interface is
    /// unregistered (deleted, a driver reload) the kernel sets the socket's interface index to
    /// -1; libpcap reports that only when its poll sees the error, and a socket of a deleted and
    /// recreated interface would wait forever on the old one. Any thread (one `getsockname`).
    public var isBoundToInterface: Bool {
        // struct sockaddr_ll: family (2), protocol (2), ifindex (4, at offset 4), ...
        var address = (UInt64(0), UInt64(0), UInt64(0))
        var length = socklen_t(MemoryLayout.size(ofValue: address))
        let status = withUnsafeMutableBytes(of: &address) { bytes in
            getsockname(pcap_get_selectable_fd(handle.pointer), bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard status == 0 else { return false }
        let index = withUnsafeBytes(of: &address) { $0.load(fromByteOffset: 4, as: Int32.self) }
        return index > 0
    }
}

/// glibc's pthread_setname_np, which the Swift Glibc module does not declare.
private let setThreadName = unsafeBitCast(
    dlsym(nil, "pthread_setname_np"), to: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32).self)
