import CPcap

/// Sends whole Ethernet frames out of one interface, as they are (the caller has set MACs and
/// checksums).
///
/// A handle of its own rather than the capture's: a dispatcher with two NICs captures on the
/// front one and sends on the back one. Opened in the calling thread's network namespace. It
/// installs a filter that takes no frame, so the kernel copies nothing into its receive ring.
///
/// `inject` may be called from any thread; it is one send(2) on a packet socket, with no lock
/// and no allocation.
public final class FrameInjector: @unchecked Sendable {
    // @unchecked: pcap_inject only reads the handle (its error text is the one shared state, read
    // only in `lastError`, for diagnostics).

    public let interface: String
    private let handle: PcapHandle
    private let injected = RelaxedCounter()
    private let failed = RelaxedCounter()

    public init(interface: String) throws(CaptureError) {
        self.interface = interface
        handle = try PcapHandle(options: CaptureOptions(interface: interface, bufferSize: 64 << 10, snapLength: 128))
        try handle.rejectAllFrames()
    }

    /// Sends `frame` (from the Ethernet header on). Returns false, and counts a failure, if the
    /// kernel refused it (`lastError` says why).
    @discardableResult
    public func inject(_ frame: UnsafeRawBufferPointer) -> Bool {
        guard let base = frame.baseAddress, pcap_inject(handle.pointer, base, frame.count) == frame.count else {
            failed.addShared()
            return false
        }
        injected.addShared()
        return true
    }

    /// Sends a frame a capture handler has just rewritten in place.
    @discardableResult
    public func inject(_ frame: UnsafeMutableRawBufferPointer) -> Bool {
        inject(UnsafeRawBufferPointer(frame))
    }

    public var counters: InjectionCounters {
        InjectionCounters(injected: injected.current, failed: failed.current)
    }

    /// libpcap's text for the last failure on this handle.
    public var lastError: String { handle.lastError }
}
