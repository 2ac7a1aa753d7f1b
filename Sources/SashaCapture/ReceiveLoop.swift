import CPcap

#if canImport(Glibc)
import Glibc
#endif

extension CaptureSession {
    /// The receive thread's body: poll the capture socket with a short timeout, then let libpcap
    /// hand over whatever its ring holds.
    func receiveLoop() {
        let pcap = handle.pointer
        var descriptor = pollfd(fd: pcap_get_selectable_fd(pcap), events: Int16(POLLIN), revents: 0)
        // The C callback cannot capture Swift context: the session travels as libpcap's user
        // pointer, unretained (this thread already holds it).
        let user = Unmanaged.passUnretained(self).toOpaque().assumingMemoryBound(to: UInt8.self)
        var dispatches: UInt32 = 0
        while !stopping.load(ordering: .acquiring) {
            let ready = poll(&descriptor, 1, Self.pollTimeoutMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                fail(.pcap(interface: options.interface, operation: "poll", reason: String(cString: strerror(errno))))
                break
            }
            if ready == 0 {
                readKernelCounters()
                idle()
                continue
            }
            let status = pcap_dispatch(pcap, -1, captureSessionReceive, user)
            if status == PCAP_ERROR_BREAK { continue }
            if status < 0 {
                fail(.pcap(interface: options.interface, operation: "pcap_dispatch", reason: handle.lastError))
                break
            }
            dispatches &+= 1
            if dispatches & 255 == 0 { readKernelCounters() }
        }
        readKernelCounters()
        // The handler usually holds what holds this session (a strategy's path holds its ports):
        // dropping it ends that cycle, so the socket and its ring go when their owner does.
        handler = { _ in }
        idle = {}
    }

    /// Calls the handler with one frame, in place in the ring; a frame the snap length cut short
    /// is counted instead.
    @inline(__always)
    func deliver(_ header: UnsafePointer<pcap_pkthdr>, _ bytes: UnsafePointer<UInt8>) {
        guard header.pointee.caplen == header.pointee.len else {
            truncated.add()
            return
        }
        received.add()
        // libpcap hands its ring's slot out as const; the mapping is PROT_READ | PROT_WRITE and
        // the slot is this thread's until the callback returns.
        handler(UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(mutating: bytes), count: Int(header.pointee.caplen)))
    }

    /// Publishes the kernel's drop totals; receive thread only.
    private func readKernelCounters() {
        var statistics = pcap_stat()
        guard pcap_stats(handle.pointer, &statistics) == 0 else { return }
        droppedByKernel.set(UInt64(statistics.ps_drop))
        droppedByInterface.set(UInt64(statistics.ps_ifdrop))
    }

    private func fail(_ error: CaptureError) {
        stoppedBy.withLock { $0 = error }
    }
}

/// libpcap's per-frame callback: a plain C function, so it gets the session from `user`.
private func captureSessionReceive(
    _ user: UnsafeMutablePointer<UInt8>?, _ header: UnsafePointer<pcap_pkthdr>?, _ bytes: UnsafePointer<UInt8>?
) {
    guard let user, let header, let bytes else { return }
    // Guaranteed reference: no retain and release per frame.
    Unmanaged<CaptureSession>.fromOpaque(UnsafeRawPointer(user))._withUnsafeGuaranteedRef { session in
        session.deliver(header, bytes)
    }
}
