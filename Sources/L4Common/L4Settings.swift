import SashaSDK

/// What both L4 strategies read from `strategy_options`, checked once at create time so that
/// `sasha check` names a bad key.
public struct L4Settings: Sendable, Equatable {
    /// Where client frames arrive (`interface`; default `ring.interface`).
    public var interface: String
    /// Where frames leave for the servers (`output_interface`; default the input interface).
    public var outputInterface: String
    /// The cluster ports captured (`ports`; default `cluster.ports`).
    public var ports: [UInt16]
    /// A flow with no packet for this long is forgotten (`idle_timeout_s`, default 15 minutes).
    public var idleTimeoutNanoseconds: UInt64
    /// After a client's FIN or RST the flow stays this long for the last packets (`fin_linger_ms`).
    public var lingerNanoseconds: UInt64
    /// The kernel's capture buffer per interface (`capture_buffer_mib`).
    public var captureBufferBytes: Int
    /// Connections the map holds before it first grows (`expected_flows`).
    public var expectedFlows: Int
    /// The most connections the map holds (`max_flows`): a SYN beyond it is dropped and counted
    /// (`map_full`), so a SYN flood cannot grow the dispatcher's memory past this.
    public var maxFlows: Int
    /// A connection whose handshake the client has not finished (SYN only) is forgotten after
    /// this long without another SYN (`syn_timeout_s`, like conntrack's `SYN_RECV`).
    public var synTimeoutNanoseconds: UInt64

    /// `validating`: only checking the options (`sasha check`), where the context names no
    /// interface or ports yet; what only a running member can know is not required then.
    public init(options: PluginOptions, context: StrategyContext, validating: Bool) throws(OptionError) {
        let interface = try options.string("interface", default: context.interface)
        guard let interface = interface ?? (validating ? "" : nil) else {
            throw OptionError(key: "interface", "name the network interface client frames arrive on (or set ring.interface)")
        }
        self.interface = interface
        outputInterface = try options.string("output_interface", default: interface) ?? interface
        let ports = try options.ints("ports", default: context.ports.map(Int.init), in: 1...65_535)
        guard !ports.isEmpty || (validating && options.values["ports"] == nil) else {
            throw OptionError(key: "ports", "name at least one port (or set cluster.ports)")
        }
        self.ports = ports.map { UInt16($0) }
        idleTimeoutNanoseconds = UInt64(try options.int("idle_timeout_s", default: 900, in: 1...86_400 * 7)) * 1_000_000_000
        lingerNanoseconds = UInt64(try options.int("fin_linger_ms", default: 2_000, in: 0...600_000)) * 1_000_000
        captureBufferBytes = try options.int("capture_buffer_mib", default: 8, in: 1...1_024) << 20
        expectedFlows = try options.int("expected_flows", default: 65_536, in: 16...16_777_216)
        maxFlows = try options.int("max_flows", default: 1_000_000, in: 16...16_777_216)
        guard expectedFlows <= maxFlows else {
            throw OptionError(key: "expected_flows", "is \(expectedFlows), above max_flows (\(maxFlows)): lower it or raise max_flows")
        }
        synTimeoutNanoseconds = UInt64(try options.int("syn_timeout_s", default: 10, in: 1...600)) * 1_000_000_000
    }

    /// The BPF filter for client frames: TCP to the VIP on the cluster ports, ARP, and ICMP errors
    /// to the VIP (issue 16 item 9: "fragmentation needed" must reach the flow's server).
    public func clientFilter(vip: IPv4Address) -> String {
        "arp or \(toVIP(vip)) or \(icmpErrorFilter(to: "dst host \(vip)"))"
    }

    /// BPF: TCP to the VIP on the cluster ports.
    private func toVIP(_ vip: IPv4Address) -> String {
        "(tcp and dst host \(vip) and (\(ports.map { "dst port \($0)" }.joined(separator: " or "))))"
    }
}
