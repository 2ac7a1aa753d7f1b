import SashaCapture
import SashaTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The one-line errors operators see when a capture cannot open.
@Suite(.enabled(if: Privileges.isRoot, "needs root (network namespaces, AF_PACKET sockets); CI runs as root"))
struct CaptureErrorTests {
    @Test func nonexistentInterface() async throws {
        let lab = try L4Lab.up(topology: .one)
        defer { lab.tearDown() }
        let expected = CaptureError.noSuchInterface(interface: "eth9")
        #expect(expected.description == "interface eth9 does not exist on this host: check strategy_options.interface; `ip link` lists the interfaces")
        let errors = try await NetworkNamespace.run(in: lab.namespace("d1")) {
            [
                Result { try CaptureSession(options: CaptureOptions(interface: "eth9")) }.map { _ in () },
                Result { try FrameInjector(interface: "eth9") }.map { _ in () },
                Result { try InterfaceFacts.lookup("eth9") }.map { _ in () },
            ]
        }
        for result in errors {
            #expect(throws: expected) { try result.get() }
        }
    }

    @Test func badFilter() async throws {
        let lab = try L4Lab.up(topology: .one)
        defer { lab.tearDown() }
        let error = try await NetworkNamespace.run(in: lab.namespace("d1")) { () -> CaptureError? in
            do throws(CaptureError) {
                _ = try CaptureSession(options: CaptureOptions(interface: "eth0", filter: "tcp port"))
                return nil
            } catch { return error }
        }
        let failure = try #require(error)
        guard case .badFilter(interface: "eth0", filter: "tcp port", let reason) = failure else {
            Issue.record("expected badFilter, got \(failure)")
            return
        }
        #expect(!reason.isEmpty)
        #expect(failure.description.hasPrefix("the BPF filter 'tcp port' for eth0 does not compile ("))
        #expect(failure.description.hasSuffix("`tcpdump -d 'tcp port'` checks one"))
    }

    /// What a sasha without root meets: capabilities are per thread, so the namespace thread
    /// gives up CAP_NET_RAW and CAP_NET_ADMIN first.
    @Test func withoutCapabilities() async throws {
        let lab = try L4Lab.up(topology: .one)
        defer { lab.tearDown() }
        let errors = try await NetworkNamespace.run(in: lab.namespace("d2"), prepare: {
            dropNetworkCapabilities() ? nil : "capset: errno \(errno)"
        }) {
            [
                Result { try CaptureSession(options: CaptureOptions(interface: "eth0")) }.map { _ in () },
                Result { try FrameInjector(interface: "eth0") }.map { _ in () },
            ]
        }
        let expected = CaptureError.permissionDenied(interface: "eth0")
        for result in errors {
            #expect(throws: expected) { try result.get() }
        }
        #expect(expected.description == "capturing on eth0 needs root or CAP_NET_RAW and CAP_NET_ADMIN: run sasha as root, or setcap cap_net_raw,cap_net_admin+ep on the binary")
    }
}

/// glibc has capget and capset but the Swift Glibc module declares neither.
private let capget = unsafeBitCast(
    dlsym(nil, "capget"), to: (@convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32).self)
private let capset = unsafeBitCast(
    dlsym(nil, "capset"), to: (@convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32).self)

/// Clears CAP_NET_ADMIN (12) and CAP_NET_RAW (13) from the calling thread's effective set.
private func dropNetworkCapabilities() -> Bool {
    var header: [UInt32] = [0x2008_0522, 0] // _LINUX_CAPABILITY_VERSION_3, this thread
    var data = [UInt32](repeating: 0, count: 6)
    guard capget(&header, &data) == 0 else { return false }
    data[0] &= ~(UInt32(1) << 12 | UInt32(1) << 13)
    return capset(&header, &data) == 0
}
