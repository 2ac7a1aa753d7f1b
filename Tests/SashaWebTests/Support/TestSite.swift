import Foundation
import Logging
import NIOCore
import NIOPosix
import SashaSDK
import SashaTestSupport
import SashaWeb

/// A served root in a temporary folder, with a secret beside it (outside the root) and symlinks
/// that try to reach it:
///
/// ```
/// <tmp>/secret.txt                 "top secret"   (outside the root)
/// <tmp>/root/index.html            the home page
/// <tmp>/root/notes.txt             "hello, notes\n", mtime fixed at `notesModified`
/// <tmp>/root/style.css, app.js, data.json, logo.png, blob (no extension)
/// <tmp>/root/big.bin               1 MiB of a byte pattern
/// <tmp>/root/docs/index.html       a directory with an index
/// <tmp>/root/empty/                a directory without one
/// <tmp>/root/escape.txt  -> ../secret.txt         (symlink out of the root)
/// <tmp>/root/outside     -> ..                    (symlinked directory out of the root)
/// <tmp>/root/absolute    -> <tmp>/secret.txt      (absolute symlink out of the root)
/// <tmp>/root/alias.txt   -> notes.txt             (symlink that stays inside)
/// ```
final class TestSite {
    static let notesText = "hello, notes\n"
    static let notesModified: Int64 = 1_700_000_000  // Tue, 14 Nov 2023 22:13:20 GMT
    static let secretText = "top secret"

    /// Servers log start and stop at info; tests only want warnings and worse.
    static let quietLogger: Logger = {
        var logger = Logger(label: "test.web")
        logger.logLevel = .warning
        return logger
    }()

    /// 1 MiB of a pattern that repeats neither every 256 bytes nor every 64 KiB, so a misplaced
    /// chunk is noticed; computed once for all tests.
    static let bigPattern: [UInt8] = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8 &+ $0 >> 16) }

    let folder: TemporaryFolder
    let root: String
    let bigFile: [UInt8]

    init() throws {
        folder = try TemporaryFolder()
        root = try folder.subfolder("root")
        _ = try folder.write("secret.txt", Self.secretText)
        _ = try folder.write("root/index.html", "<h1>home</h1>\n")
        _ = try folder.write("root/notes.txt", Self.notesText)
        var times = [timeval(tv_sec: Int(Self.notesModified), tv_usec: 0), timeval(tv_sec: Int(Self.notesModified), tv_usec: 0)]
        utimes(root + "/notes.txt", &times)
        _ = try folder.write("root/style.css", "body { color: red }\n")
        _ = try folder.write("root/app.js", "console.log(1)\n")
        _ = try folder.write("root/data.json", "{\"a\": 1}\n")
        _ = try folder.write("root/blob", "opaque")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]).write(to: URL(fileURLWithPath: root + "/logo.png"))
        bigFile = Self.bigPattern
        try Data(bigFile).write(to: URL(fileURLWithPath: root + "/big.bin"))
        _ = try folder.subfolder("root/docs")
        _ = try folder.write("root/docs/index.html", "<h1>docs</h1>\n")
        _ = try folder.subfolder("root/empty")
        symlink("../secret.txt", root + "/escape.txt")
        symlink("..", root + "/outside")
        symlink(folder.file("secret.txt"), root + "/absolute")
        symlink("notes.txt", root + "/alias.txt")
    }

    /// Starts a server on this root (127.0.3.x, a kernel-chosen port unless `port` is given).
    func startServer(
        address: String = "127.0.3.1", port: UInt16 = 0, configure: (inout WebServerConfiguration) -> Void = { _ in }
    ) async throws -> StaticFileServer {
        var configuration = WebServerConfiguration(root: root, address: IPv4Address(address)!, port: port)
        configure(&configuration)
        return try await StaticFileServer.start(
            configuration: configuration, group: MultiThreadedEventLoopGroup.singleton, logger: Self.quietLogger
        )
    }
}

extension StaticFileServer {
    var port: UInt16 { UInt16(localAddress.port!) }
}

/// Runs `body` with a server on a fresh site, and stops the server afterwards even if it throws.
func withServer(
    configure: (inout WebServerConfiguration) -> Void = { _ in },
    _ body: (TestSite, StaticFileServer) async throws -> Void
) async throws {
    let site = try TestSite()
    let server = try await site.startServer(configure: configure)
    do {
        try await body(site, server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}
