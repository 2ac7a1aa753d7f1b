import SashaRing
import SashaSDK

/// Everything `sasha run` needs, checked before anything is bound: the configuration, this
/// member's address and settings, the ring key, the control socket path. Every refusal is a
/// sentence that says what to do, because an operator meets it at the terminal.
public struct DaemonSettings: Sendable {
    public var configPath: String
    public var config: SashaConfig
    public var node: IPv4Address
    public var machine: RingMachine.Configuration
    public var controlSocket: ControlSocketPath
    /// `ring.interface`'s broadcast address, when it has one.
    public var link: LinkBroadcast?
    /// True when the ring runs without a key (`ring.insecure: true`): warned at every start.
    public var insecure: Bool { machine.codec.isInsecure }

    /// Why the daemon will not start: lines for standard error (config diagnostics keep their
    /// FILE:LINE:COLUMN form, as `sasha check` prints them).
    public struct Refusal: Error, Sendable {
        public var lines: [String]
        init(_ lines: [String]) { self.lines = lines }
        init(_ line: String) { self.lines = [line] }
    }

    public static func prepare(configPath: String, node: IPv4Address) throws(Refusal) -> DaemonSettings {
        let (loaded, diagnostics) = ConfigLoader.load(path: configPath)
        guard let config = loaded else { throw Refusal(diagnostics.map(\.description)) }
        guard config.ring.members.contains(node) else {
            let members = config.ring.members.map(\.description).joined(separator: ", ")
            throw Refusal("\(node) is not a member of the ring in \(configPath) (ring.members: \(members)); "
                + "add it to ring.members on every member, or pass one of these to --node")
        }
        let codec: RingCodec
        if let keyFile = config.ring.keyFile {
            do throws(RingKeyFile.Problem) {
                codec = RingCodec(key: try RingKeyFile.read(keyFile).bytes)
            } catch {
                throw Refusal(error.description)
            }
        } else if config.ring.insecure {
            codec = .insecure
        } else {
            throw Refusal("\(configPath): ring.key_file is not set, and the ring refuses to run unauthenticated; "
                + "create a key with `sasha keygen --out ring.key`, copy it to every member and set ring.key_file: ring.key "
                + "(or set ring.insecure: true, for a loopback test only)")
        }
        let controlSocket: ControlSocketPath
        do throws(ControlSocketPath.Problem) {
            controlSocket = try ControlSocketPath(folder: config.control.dir, node: node)
        } catch {
            throw Refusal(error.description)
        }
        let timing = RingTiming(heartbeatMilliseconds: config.ring.heartbeatMs, tokenTimeoutMilliseconds: config.ring.tokenTimeoutMs,
                                broadcastTimeoutMilliseconds: config.ring.broadcastTimeoutMs)
        let machine = RingMachine.Configuration(address: node, canDispatch: config.node(node).dispatch, timing: timing,
                                                codec: codec, seeds: config.ring.members)
        let link = try config.ring.interface.flatMap { (interface) throws(Refusal) in try LinkBroadcast.lookup(interface: interface) }
        return DaemonSettings(configPath: configPath, config: config, node: node, machine: machine, controlSocket: controlSocket,
                              link: link)
    }
}
