import CPcap

#if canImport(Glibc)
import Glibc
#endif

/// An activated libpcap handle, and the mapping of libpcap's failures to `CaptureError`.
///
/// Both the capture session and the injector open their handle through here. pcap_create binds
/// an AF_PACKET socket in the calling thread's network namespace, so opening from a thread that
/// joined a namespace (setns) captures there, whatever thread reads the handle afterwards.
final class PcapHandle {
    let pointer: OpaquePointer
    let interface: String

    /// Creates and activates a handle on `options.interface`, then sets direction and filter.
    init(options: CaptureOptions) throws(CaptureError) {
        interface = options.interface
        // Configured before it is stored: once every property is set, a throwing init runs
        // deinit, which would close the handle a second time.
        pointer = try Self.open(options)
    }

    deinit { pcap_close(pointer) }

    private static func open(_ options: CaptureOptions) throws(CaptureError) -> OpaquePointer {
        let interface = options.interface
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let pcap = pcap_create(interface, &errorBuffer) else {
            throw .pcap(interface: interface, operation: "pcap_create", reason: text(errorBuffer))
        }
        func check(_ status: Int32, _ operation: String) throws(CaptureError) {
            guard status != 0 else { return }
            throw .pcap(interface: interface, operation: operation, reason: lastError(pcap))
        }
        do throws(CaptureError) {
            try check(pcap_set_snaplen(pcap, Int32(options.snapLength)), "pcap_set_snaplen")
            try check(pcap_set_promisc(pcap, options.promiscuous ? 1 : 0), "pcap_set_promisc")
            // Without immediate mode frames wait for a full block or a timeout: added latency on
            // every connection's first packet.
            try check(pcap_set_immediate_mode(pcap, 1), "pcap_set_immediate_mode")
            try check(pcap_set_buffer_size(pcap, Int32(clamping: options.bufferSize)), "pcap_set_buffer_size")
            try activate(pcap, interface)
            let direction = options.direction == .inbound ? PCAP_D_IN : PCAP_D_INOUT
            try check(pcap_setdirection(pcap, direction), "pcap_setdirection")
            if options.direction == .inbound { ignoreOutgoing(pcap) }
            if !options.filter.isEmpty { try setFilter(pcap, interface, options.filter) }
            if let group = options.fanoutGroup { try joinFanout(pcap, interface, group: group) }
        } catch {
            pcap_close(pcap)
            throw error
        }
        return pcap
    }

    private static func activate(_ pcap: OpaquePointer, _ interface: String) throws(CaptureError) {
        let status = pcap_activate(pcap)
        // Positive values are warnings (for example, promiscuous mode not supported): go on.
        guard status < 0 else { return }
        switch status {
        case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
            throw .permissionDenied(interface: interface)
        case PCAP_ERROR_NO_SUCH_DEVICE:
            throw .noSuchInterface(interface: interface)
        default:
            let text = lastError(pcap)
            let reason = text.isEmpty ? String(cString: pcap_statustostr(status)) : text
            throw .pcap(interface: interface, operation: "pcap_activate", reason: reason)
        }
    }

    /// Asks the kernel not to hand this socket the frames the host sends (PACKET_IGNORE_OUTGOING,
    /// Linux 4.20): otherwise it clones every outgoing frame for each packet socket on the link,
    /// only for libpcap to discard it, and a dispatcher sends as many frames as it receives.
    /// Older kernels refuse the option; libpcap's own direction check then does the job.
    private static func ignoreOutgoing(_ pcap: OpaquePointer) {
        let solPacket: Int32 = 263, packetIgnoreOutgoing: Int32 = 23   // <linux/if_packet.h>
        var on: Int32 = 1
        _ = setsockopt(pcap_fileno(pcap), solPacket, packetIgnoreOutgoing, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Joins the fanout `group` of the interface, frames spread by flow hash (PACKET_FANOUT with
    /// PACKET_FANOUT_HASH, after the filter so no frame arrives unfiltered). In a group the
    /// kernel asks the group, not the socket, whether to skip outgoing frames, so the group says
    /// so too (PACKET_FANOUT_FLAG_IGNORE_OUTGOING, Linux 6.9); older kernels refuse the flag and
    /// the group is joined without it.
    private static func joinFanout(_ pcap: OpaquePointer, _ interface: String, group: UInt16) throws(CaptureError) {
        let solPacket: Int32 = 263, packetFanout: Int32 = 18, fanoutHash: Int32 = 0   // <linux/if_packet.h>
        let ignoreOutgoing: Int32 = 0x4000
        func join(_ flags: Int32) -> Int32 {
            var value = Int32(group) | (fanoutHash | flags) << 16
            return setsockopt(pcap_fileno(pcap), solPacket, packetFanout, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 ? 0 : errno
        }
        var failure = join(ignoreOutgoing)
        if failure == EINVAL { failure = join(0) }
        guard failure == 0 else {
            throw .pcap(interface: interface, operation: "PACKET_FANOUT (group \(group))", reason: String(cString: strerror(failure)))
        }
    }

    /// Compiles `expression` and installs it in the kernel.
    private static func setFilter(_ pcap: OpaquePointer, _ interface: String, _ expression: String) throws(CaptureError) {
        var program = bpf_program()
        guard pcap_compile(pcap, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw .badFilter(interface: interface, filter: expression, reason: lastError(pcap))
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(pcap, &program) == 0 else {
            throw .pcap(interface: interface, operation: "pcap_setfilter", reason: lastError(pcap))
        }
    }

    /// Installs a one-instruction program that rejects every frame (`ret #0`), for handles that
    /// only send: otherwise the kernel would copy every frame on the link into their ring.
    func rejectAllFrames() throws(CaptureError) {
        var instruction = bpf_insn(code: 0x06 /* BPF_RET | BPF_K */, jt: 0, jf: 0, k: 0)
        let status = withUnsafeMutablePointer(to: &instruction) { instruction in
            var program = bpf_program(bf_len: 1, bf_insns: instruction)
            return pcap_setfilter(pointer, &program)
        }
        guard status == 0 else { throw .pcap(interface: interface, operation: "pcap_setfilter", reason: lastError) }
    }

    /// The text in a libpcap error buffer (PCAP_ERRBUF_SIZE bytes, NUL-terminated).
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func lastError(_ pcap: OpaquePointer) -> String { String(cString: pcap_geterr(pcap)) }

    /// libpcap's last error text for this handle.
    var lastError: String { Self.lastError(pointer) }
}
