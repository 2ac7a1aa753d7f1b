import Foundation
import Logging
import NIOCore
import NIOPosix
@testable import SashaCore
import SashaRing
import SashaSDK
import SashaTestSupport
import Testing

/// Issue 16, item 4: the control socket answers only root and the daemon's user, whatever the
/// socket's mode, and its folder must be the daemon user's own, unwritable by others, not a link.
@Suite("Control socket access")
struct ControlAccessTests {
    @Test("root and the daemon's user may talk to the control socket; anyone else is refused with the fix")
    func credentialRule() throws {
        #expect(ControlPeer.refusal(uid: 0, daemonUser: 1000) == nil)
        #expect(ControlPeer.refusal(uid: 1000, daemonUser: 1000) == nil)
        #expect(ControlPeer.refusal(uid: 0, daemonUser: 0) == nil)
        let refusal = try #require(ControlPeer.refusal(uid: 1001, daemonUser: 1000))
        #expect(refusal.contains("uid 1001") && refusal.contains("uid 1000"), "\(refusal)")
        #expect(ControlPeer.refusal(uid: 65534, daemonUser: 0) != nil)
        // Read from the kernel by size: Linux's struct ucred is pid, uid, gid, 4 bytes each.
        #expect(MemoryLayout<ControlPeer.Credentials>.size == 12)
        #expect(MemoryLayout<ControlPeer.Credentials>.offset(of: \.uid) == 4)
    }

    @Test("a missing control.dir is made 0700 and accepted")
    func newFolderIsPrivate() throws {
        let folder = try TemporaryFolder()
        let socket = try ControlSocketPath(folder: folder.file("c"), node: IPv4Address("127.0.0.1")!)
        try socket.claim()
        var info = stat()
        #expect(lstat(folder.file("c"), &info) == 0 && info.st_mode & 0o777 == 0o700)
    }

    @Test("an existing control.dir that others can write to is refused with the chmod that fixes it")
    func writableFolderRefused() throws {
        let folder = try TemporaryFolder()
        for mode: mode_t in [0o777, 0o770, 0o1777] {
            chmod(folder.path, mode)
            let problem = claimProblem(folder.path)
            #expect(problem?.contains("chmod 700 \(folder.path)") == true, "mode \(String(mode, radix: 8)): \(problem ?? "accepted")")
        }
        chmod(folder.path, 0o755)
        #expect(claimProblem(folder.path) == nil)
    }

    @Test("a control.dir that is a symbolic link is refused, even to a good folder and written with a trailing slash")
    func linkedFolderRefused() throws {
        let folder = try TemporaryFolder()
        let real = try folder.subfolder("real")
        chmod(real, 0o700)
        #expect(symlink(real, folder.file("link")) == 0)
        for path in [folder.file("link"), folder.file("link") + "/"] {
            let problem = claimProblem(path)
            #expect(problem?.contains("is a symbolic link") == true, "\(path): \(problem ?? "accepted")")
        }
        #expect(claimProblem(real) == nil)
    }

    @Test("a control.dir owned by another user is refused with the chown that fixes it")
    func foreignFolderRefused() throws {
        try #require(geteuid() == 0, "changing a folder's owner needs root; the test suite runs as root in CI")
        let folder = try TemporaryFolder()
        let control = try folder.subfolder("c")
        chmod(control, 0o700)
        #expect(chown(control, 65534, 65534) == 0)
        let problem = claimProblem(control)
        #expect(problem?.contains("owned by uid 65534") == true && problem?.contains("chown 0 \(control)") == true,
                "\(problem ?? "accepted")")
    }

    @Test("another user who can reach the socket (its mode widened by hand) gets the refusal, not the status")
    func otherUserRefusedOnARealSocket() async throws {
        try #require(geteuid() == 0, "connecting as another user needs root to switch users; the test suite runs as root in CI")
        let python = "/usr/bin/python3", setpriv = "/usr/bin/setpriv"
        try #require(access(python, X_OK) == 0 && access(setpriv, X_OK) == 0, "needs \(python) and \(setpriv) (scripts/deps.sh)")
        let folder = try TemporaryFolder()
        let node = IPv4Address("127.0.0.1")!
        let socket = try ControlSocketPath(folder: folder.file("c"), node: node)
        try socket.claim()
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let configuration = RingMachine.Configuration(
            address: node, canDispatch: true,
            timing: RingTiming(heartbeatMilliseconds: 100, tokenTimeoutMilliseconds: 1000, broadcastTimeoutMilliseconds: 500),
            codec: .insecure, seeds: [node])
        let ringNode = RingNode(configuration: configuration, port: 0, eventLoop: loop, logger: Logger(label: "test"),
                                metrics: RingMetrics())
        let responder = ControlResponder(node: ringNode, strategy: "l7", policy: { .init(name: "round-robin", epoch: 0) })
        let channel = try await ControlServer.bind(socket, group: loop, responder: responder).get()
        defer { channel.close(promise: nil) }
        // What a careless `chmod` would do: anyone may now connect as far as the modes go.
        chmod(folder.file("c"), 0o711)
        chmod(socket.path, 0o666)

        let asRoot = try ControlClient.request("{\"command\":\"status\"}", at: socket.path)
        #expect(asRoot.contains("\"packets_in\""), "root is answered: \(asRoot)")

        let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            s.sendall(b'{"command":"status"}\\n')
            sys.stdout.write(b''.join(iter(lambda: s.recv(4096), b'')).decode())
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: setpriv)
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", python, "-c", script, socket.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains("answers only root and the daemon's user"), "\(text)")
        #expect(text.contains("not uid 65534"), "\(text)")
        #expect(!text.contains("\"packets_in\""), "the status reached uid 65534: \(text)")
    }

    private func claimProblem(_ folder: String) -> String? {
        do throws(ControlSocketPath.Problem) {
            try ControlSocketPath(folder: folder, node: IPv4Address("127.0.0.1")!).claim()
            return nil
        } catch {
            return error.description
        }
    }
}
